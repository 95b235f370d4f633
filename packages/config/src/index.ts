// Public surface of @gatehouse/config.
export type * from './table.js'
