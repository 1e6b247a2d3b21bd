#!/usr/bin/env python3
"""Starts a command, watches a results store, and sends a signal once the store holds at least
N sample rows (the command's stderr is appended to DIR.log for DB = DIR/results.db). Prints the row count seen right after the signal and the command's exit status.
usage: kill_at.py DB N SIGNAL COMMAND... (SIGNAL: KILL, INT or TERM)"""
import os
import signal
import sqlite3
import subprocess
import sys
import time

def count(db):
    try:
        con = sqlite3.connect(db, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM samples").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0

def main():
    db, n, sig, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.dirname(db) + ".log", "a"))
    while p.poll() is None:
        if os.path.exists(db) and count(db) >= n:
            p.send_signal({"KILL": signal.SIGKILL, "INT": signal.SIGINT, "TERM": signal.SIGTERM}[sig])
            break
        time.sleep(0.002)
    rc = p.wait()
    print(count(db), rc)

if __name__ == "__main__":
    main()
