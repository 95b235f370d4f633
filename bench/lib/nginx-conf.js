// The part of an nginx.conf that the bench's nginx proxy and nginx upstream
// share: a self-contained prefix under `root` (pid, logs, temp paths), the
// file-descriptor limits for thousands of connections, and keep-alive raised
// so nginx never closes a benchmark connection early. Each caller appends its
// own directives and servers and closes the `http {` block.

/** The opening of an nginx.conf, up to and including the common `http {` directives. */
export function nginxConfHead ({ label, root, workers, keepaliveTimeout }) {
  return `# ${label} (generated)
worker_processes ${workers};
daemon off;
master_process on;
pid ${root}/nginx.pid;
error_log ${root}/error.log warn;
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_rlimit_nofile 20000;
events { worker_connections 16000; }
http {
  access_log off;
  client_body_temp_path ${root}/client_body;
  proxy_temp_path ${root}/proxy; fastcgi_temp_path ${root}/fastcgi; uwsgi_temp_path ${root}/uwsgi; scgi_temp_path ${root}/scgi;
  keepalive_timeout ${keepaliveTimeout};
  keepalive_requests 10000000;
`
}
