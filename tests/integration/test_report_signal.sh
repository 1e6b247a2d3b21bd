#!/bin/sh
# Integration: SIGTERM and SIGINT stop `tierbench report` while it draws charts: exit 2 with a
# line that says so, and no gnuplot left running (a stand-in gnuplot that would sleep a minute
# records its pid); the same command run again writes the report.
. tests/integration/lib.sh
ROOT=$(pwd)
cd "$T_DIR" || exit 1
python3 "$ROOT/tests/integration/gen_data.py" data.jsonl base.jsonl 20 1
"$TB_BIN" run --target samples:base.jsonl --suite gsm8k --dataset data.jsonl --out runs/base --quiet --no-bw \
	>/dev/null 2>run.err || { cat run.err; exit 1; }
mkdir slowbin
cat >slowbin/gnuplot <<SH
#!/bin/sh
echo \$\$ >>"$T_DIR/gnuplot.pids"
exec sleep 60
SH
chmod +x slowbin/gnuplot

# stop SIGNAL: a report with charts, stopped once gnuplot has started; prints how long it took
stop() {
	rm -f gnuplot.pids
	PATH="$T_DIR/slowbin:$PATH" "$TB_BIN" report runs/base --format md,html --out rep >rep.out 2>rep.err &
	pid=$!
	i=0
	while [ $i -lt 300 ] && [ ! -s gnuplot.pids ]; do sleep 0.1; i=$((i + 1)); done
	kill -"$1" $pid
	wait $pid
}
alive() { # alive PIDFILE: some pid in it still runs (a killed one may stay a zombie a moment)
	for p in $(cat "$1" 2>/dev/null); do
		[ -r /proc/$p/stat ] && [ "$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)" != Z ] && return 0
	done
	return 1
}
stop TERM; rc=$?
check report_stops_on_sigterm sh -c "test $rc -eq 2 && grep -q 'stopped by SIGTERM' rep.err"
check report_leaves_no_gnuplot_after_sigterm sh -c "test -s gnuplot.pids && ! $(alive gnuplot.pids && echo true || echo false)"
stop INT; rc=$?
check report_stops_on_sigint sh -c "test $rc -eq 2 && grep -q 'stopped by SIGINT' rep.err && ! $(alive gnuplot.pids && echo true || echo false)"
"$TB_BIN" report runs/base --format md,html --no-charts --out rep >rep.out 2>rep.err; rc=$?
check report_written_again_after_stop sh -c "test $rc -eq 0 && test -s rep/report.md"
end_tests
