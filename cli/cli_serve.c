/* cli/cli_serve.c — `tierbench serve`: the built-in engine as an OpenAI-compatible server
 * (serve/serve.h, docs/serve.md). Prints the base URL on stdout once it listens, answers until
 * SIGTERM or SIGINT, then drains the requests in flight and exits 0. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli_impl.h"
#include "serve/serve.h"

static void usage(FILE *f)
{
	fputs("usage: tierbench serve -m MODEL.gguf [options]\n"
		"\n"
		"Serves the model over HTTP with OpenAI's API: POST /v1/chat/completions and\n"
		"/v1/completions (streamed or not), GET /v1/models, /health and /metrics (Prometheus).\n"
		"Requests share the engine by continuous batching, as the local provider runs them.\n"
		"Prints the base URL on stdout once it listens; SIGTERM drains requests in flight, then exits.\n"
		"\n"
		"  -m, --model FILE      the GGUF model\n"
		"  --name NAME           the model name clients send (default: the file name without .gguf)\n"
		"  --host ADDR           numeric address to listen on (default 127.0.0.1)\n"
		"  --port N              port (default 8080; 0: any free port)\n"
		"  --parallel N          requests decoded together (default 4)\n"
		"  --ctx N               context per request in tokens (default: the model's, at most 4096)\n"
		"  --threads N           engine threads (default: the engine's)\n"
		"  --chat-template NAME  chat format for a model whose template the engine does not know\n"
		"  --api-key-env VAR     require \"Authorization: Bearer $VAR\" on /v1 requests\n"
		"  --queue N             requests that may wait for a slot before 429 (default 64)\n"
		"  --max-body BYTES      request body limit (default 8388608; 413 past it)\n"
		"  --max-conns N         open connections at once (default 1024)\n"
		"  --idle-timeout S      close a connection idle this long (default 30)\n"
		"  --drain-timeout S     on SIGTERM, wait this long for requests in flight (default 60)\n"
		"  -v, --verbose         one line per answered request on stderr\n"
		"  -h, --help            this text\n", f);
}

static void log_line(void *ud, const char *line)
{
	(void)ud;
	fprintf(stderr, "serve: %s\n", line);
}

/* A whole number in [lo, hi] from the option's text, or -1 with a message. */
static long num_arg(const char *opt, const char *v, long lo, long hi)
{
	char *end;
	long x;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi) {
		fprintf(stderr, "tierbench serve: %s: expected a whole number in [%ld, %ld], got \"%s\"\n",
			opt, lo, hi, v);
		return -1;
	}
	return x;
}

int cli_cmd_serve(int argc, char **argv)
{
	enum { O_NAME = 256, O_HOST, O_PORT, O_PAR, O_CTX, O_THREADS, O_TMPL, O_KEY, O_QUEUE,
		O_BODY, O_CONNS, O_IDLE, O_DRAIN };
	static const struct option lo[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, O_NAME },
		{ "host", required_argument, NULL, O_HOST },
		{ "port", required_argument, NULL, O_PORT },
		{ "parallel", required_argument, NULL, O_PAR },
		{ "ctx", required_argument, NULL, O_CTX },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "chat-template", required_argument, NULL, O_TMPL },
		{ "api-key-env", required_argument, NULL, O_KEY },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "max-body", required_argument, NULL, O_BODY },
		{ "max-conns", required_argument, NULL, O_CONNS },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ "drain-timeout", required_argument, NULL, O_DRAIN },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	srv_opts o = srv_opts_default();
	const char *key_env = NULL;
	long drain_s = 60, v;
	int verbose = 0, c, sig = 0, left;
	sigset_t set;
	struct rlimit rl;
	char err[1024];
	srv *s;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:vh", lo, NULL)) != -1) {
		v = 0;
		switch (c) {
		case 'm': o.model_path = optarg; break;
		case O_NAME: o.model_name = optarg; break;
		case O_HOST: o.host = optarg; break;
		case O_PORT: if ((v = num_arg("--port", optarg, 0, 65535)) >= 0) o.port = (int)v; break;
		case O_PAR: if ((v = num_arg("--parallel", optarg, 1, 256)) >= 0) o.n_parallel = (int)v; break;
		case O_CTX: if ((v = num_arg("--ctx", optarg, 16, 1 << 24)) >= 0) o.n_ctx = (int)v; break;
		case O_THREADS: if ((v = num_arg("--threads", optarg, 1, 1024)) >= 0) o.n_threads = (int)v; break;
		case O_TMPL: o.chat_template = optarg; break;
		case O_KEY: key_env = optarg; break;
		case O_QUEUE: if ((v = num_arg("--queue", optarg, 0, 1000000)) >= 0) o.queue_max = (int)v; break;
		case O_BODY: if ((v = num_arg("--max-body", optarg, 1024, 1L << 30)) >= 0) o.max_body_bytes = (size_t)v; break;
		case O_CONNS: if ((v = num_arg("--max-conns", optarg, 1, 1000000)) >= 0) o.max_connections = (int)v; break;
		case O_IDLE: if ((v = num_arg("--idle-timeout", optarg, 1, 86400)) >= 0) o.idle_timeout_s = (int)v; break;
		case O_DRAIN: if ((v = num_arg("--drain-timeout", optarg, 0, 86400)) >= 0) drain_s = v; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
		if (v < 0)
			return 1;
	}
	if (optind < argc || !o.model_path) {
		fprintf(stderr, "tierbench serve: %s\n", optind < argc ? "unexpected argument" :
			"no model given (-m MODEL.gguf)");
		usage(stderr);
		return 1;
	}
	if (key_env) {
		o.api_key = getenv(key_env);
		if (!o.api_key || !*o.api_key) {
			fprintf(stderr, "tierbench serve: --api-key-env %s: the variable is not set or empty\n",
				key_env);
			return 1;
		}
	}
	/* Every connection is a descriptor: raise the soft limit to what --max-conns needs. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)o.max_connections + 64) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)o.max_connections + 64 ?
			(rlim_t)o.max_connections + 64 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* The signals are taken by sigwait below; every thread starts with them blocked. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!(s = srv_open(&o, err, sizeof err))) {
		fprintf(stderr, "tierbench serve: %s\n", err);
		return 2;
	}
	if (verbose)
		srv_log_set(s, log_line, NULL);
	printf("http://%s%s%s:%d/v1\n", o.host && strchr(o.host, ':') ? "[" : "",
		o.host ? o.host : "127.0.0.1", o.host && strchr(o.host, ':') ? "]" : "", srv_port(s));
	fflush(stdout);
	fprintf(stderr, "tierbench serve: %s on port %d, %d slots; SIGTERM drains and exits\n",
		o.model_path, srv_port(s), o.n_parallel);
	sigwait(&set, &sig);
	fprintf(stderr, "tierbench serve: %s: draining requests in flight\n", strsignal(sig));
	left = srv_drain(s, (int)(drain_s * 1000));
	if (left)
		fprintf(stderr, "tierbench serve: %d requests still in flight after %ld s; cancelled\n",
			left, drain_s);
	srv_close(s);
	fprintf(stderr, "tierbench serve: stopped\n");
	return 0;
}
