#!/bin/sh
# Integration: SIGTERM and SIGINT stop `tierbench quant-sweep` while its run scores the quality
# suite, with a line that says so (exit 2), leave no temporary file, and the same command run
# again resumes the run and finishes the sweep.
. tests/integration/lib.sh
ROOT=$(pwd)
SHARED=${TB_SHARED:-$ROOT/../shared}
MODEL=$SHARED/models/stories260K.gguf
cd "$T_DIR" || exit 1

if [ ! -f "$MODEL" ]; then
	for n in sweep_stops_on_sigterm_in_the_run sweep_stopped_leaves_no_partial_files sweep_resumes_after_stop \
		sweep_stops_on_sigint; do
		skip "$n" "no $MODEL (set TB_SHARED)"
	done
	end_tests
	exit $?
fi
# a text long enough that measuring it takes a while on any machine
python3 -c "
import random
random.seed(7)
w = 'once upon a time there was a little girl named lily who liked to play in the park with her dog'.split()
open('text.txt', 'w').write(' '.join(random.choice(w) for _ in range(20000)))
"
# stop_after SIGNAL: runs the sweep in the background and sends SIGNAL once its run has started
stop_after() {
	"$TB_BIN" quant-sweep "$MODEL" --types Q8_0 --suites quality --text text.txt --ctx 64 --out sw \
		>out.txt 2>err.txt &
	pid=$!
	i=0
	while [ $i -lt 600 ] && ! grep -q '^run: ' err.txt 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	sleep 0.3
	kill -"$1" $pid
	wait $pid
}
stop_after TERM; rc=$?
check sweep_stops_on_sigterm_in_the_run sh -c "test $rc -eq 2 && grep -q 'stopped while running the suites' err.txt"
check sweep_stopped_leaves_no_partial_files sh -c "test -z \"\$(find sw -name '*.tmp*')\" && test ! -e sw/quality.md"
stop_after INT; rc=$?
check sweep_stops_on_sigint sh -c "test $rc -eq 2 && grep -q 'stopped while running the suites' err.txt && test -z \"\$(find sw -name '*.tmp*')\""
"$TB_BIN" quant-sweep "$MODEL" --types Q8_0 --suites quality --text text.txt --ctx 64 --out sw \
	--quiet >out.txt 2>err.txt; rc=$?
runs=$(sql sw/results.db 'SELECT count(*) FROM runs')
check sweep_resumes_after_stop sh -c "test $rc -eq 0 && grep -q '^| Q8_0 |' sw/quality.md && test '$runs' = 1"
end_tests
