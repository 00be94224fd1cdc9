# replay.sh - the steps a replay script is made of.
#
# When a test fails, the grader writes a script that replays it, step by
# step, from the lab folder: labs/NN-name/repro/TEST.sh (or ask for one:
# `make repro TEST=ID`). Each line of it calls one function below, which
# does what the test did at that point (start a program, send it a line,
# wait for its output, make an object) and checks what the test checked
# there. The first check that fails says what was expected and what
# happened, and ends the script with status 1, as the test ended; the
# programs it started are stopped and the objects it named are removed.
#
# Read a script to see what a test does; run it (bash) to see it happen.
# To look around at the moment it fails, run it with REPLAY_PAUSE=1: it
# waits for Enter before it cleans up (try `ls -l /dev/shm`, `ipcs`).
#
# Not for running by itself: the script sources it, from ../common/.

set -u
trap '' PIPE

replay_dir=$(mktemp -d "${TMPDIR:-/tmp}/shmlab-replay-XXXXXX") || exit 2
declare -A replay_pid replay_cmd replay_read replay_status replay_fd
replay_names=()
replay_keys=()

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    replay_bold=$'\e[1m' replay_red=$'\e[31m' replay_green=$'\e[32m' replay_dim=$'\e[2m'
    replay_reset=$'\e[0m'
else
    replay_bold='' replay_red='' replay_green='' replay_dim='' replay_reset=''
fi

# --- saying what happens -----------------------------------------------------

say() {
    printf '%s\n' "$*"
}

# The last lines of a program's stream FILE, as the grader shows them.
replay_show_stream() {
    local label=$1 file=$2
    if [ ! -s "$file" ]; then
        printf '    %s: (nothing)\n' "$label"
        return
    fi
    printf '    %s:\n' "$label"
    tail -n 15 "$file" | sed 's/^/      | /'
}

# Program N's command, how it ended and what it printed.
replay_transcript() {
    local n=$1
    printf '  $ %s\n' "${replay_cmd[$n]}"
    printf '    %s\n' "$(replay_describe_end "$n")"
    replay_show_stream stdout "$replay_dir/$n.out"
    replay_show_stream stderr "$replay_dir/$n.err"
}

# The step failed: say so (and about program N, if given), end the script.
replay_fail() {
    local n=$1 message=$2
    shift 2
    printf '%sFAILED:%s %s\n' "$replay_red" "$replay_reset" "$message"
    for line in "$@"; do
        printf '      %s\n' "$line"
    done
    if [ -n "$n" ]; then
        replay_transcript "$n"
    fi
    printf '%sThe test fails here, as it did when graded.%s\n' "$replay_bold" "$replay_reset"
    exit 1
}

# A check the grader made in C (the lab's tests.c), which a script cannot
# make again: what the grader found at this point.
grader_check() {
    local n
    printf '%sFAILED%s (the grader'"'"'s own check here, which this script cannot repeat): %s\n' \
        "$replay_red" "$replay_reset" "$1"
    for n in "${!replay_pid[@]}"; do
        replay_transcript "$n"
    done
    printf '%sIf your programs did the same as above, the test fails here.%s\n' "$replay_bold" \
        "$replay_reset"
    exit 1
}

# A moment the grader waited for a state it checks in C: the script lets
# the programs run a little, and says what the grader waited for.
settle() {
    printf '  %s(%s)%s\n' "$replay_dim" "$1" "$replay_dim$replay_reset"
    sleep 0.3
}

# --- programs ----------------------------------------------------------------

# The state letter of process PID (R, S, T, Z...), or nothing once it is gone.
replay_state() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    printf '%s' "${stat%% *}"
}

replay_running() {
    local state
    state=$(replay_state "${replay_pid[$1]}")
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Collect program N's status once it has ended.
replay_reap() {
    local n=$1
    if [ -z "${replay_status[$n]:-}" ]; then
        wait "${replay_pid[$n]}"
        replay_status[$n]=$?
    fi
}

replay_describe_end() {
    local n=$1 status
    if replay_running "$n"; then
        say "is still running"
        return
    fi
    replay_reap "$n"
    status=${replay_status[$n]}
    if [ "$status" -gt 128 ] && [ "$status" -lt 160 ]; then
        say "was killed by SIG$(kill -l $((status - 128)))"
    else
        say "exited with status $status"
    fi
}

# WORDS as a command line shows them: quoted where they need it.
replay_words() {
    local word sep=''
    for word in "$@"; do
        if [[ $word =~ ^[A-Za-z0-9_./=:,+@%^-]+$ ]]; then
            printf '%s%s' "$sep" "$word"
        elif [[ $word =~ [[:cntrl:]] ]]; then
            printf '%s%q' "$sep" "$word"
        else
            printf "%s'%s'" "$sep" "${word//\'/\'\\\'\'}"
        fi
        sep=' '
    done
}

# program N [--stdin TEXT | --keep-stdin] [--env NAME=VALUE]... -- ./PROGRAM ARG...
# Start program N as the test did, in a process group of its own, its
# output kept in files.
program() {
    local n=$1 stdin=/dev/null
    local -a env=()
    shift
    while [ "$1" != -- ]; do
        case $1 in
        --stdin)
            printf '%s' "$2" >"$replay_dir/$n.in"
            stdin=$replay_dir/$n.in
            shift 2
            ;;
        --keep-stdin)
            mkfifo "$replay_dir/$n.in"
            stdin=$replay_dir/$n.in
            shift
            ;;
        --env)
            env+=("$2")
            shift 2
            ;;
        esac
    done
    shift
    replay_cmd[$n]=$(replay_words "$@")
    replay_cmd[$n]=${replay_cmd[$n]#./}
    replay_read[$n]=0
    printf '%s$ %s%s%s\n' "$replay_bold" "${env[*]:+$(replay_words "${env[@]}") }" \
        "$(replay_words "$@")" "$replay_reset"
    setsid env "${env[@]}" "$@" <"$stdin" >"$replay_dir/$n.out" 2>"$replay_dir/$n.err" &
    replay_pid[$n]=$!
    if [ -p "$replay_dir/$n.in" ]; then
        exec {replay_fd[$n]}>"$replay_dir/$n.in"
    fi
}

# Wait up to SECONDS for program N to end; 1 if it is still running.
wait_end() {
    local n=$1
    program_ended() { ! replay_running "$n"; }
    replay_poll "$2" 20 program_ended
}

# Program N ends within SECONDS, with no sanitizer report on its stderr.
expect_end() {
    local n=$1 seconds=$2
    if ! wait_end "$n" "$seconds"; then
        kill -KILL -- "-${replay_pid[$n]}" 2>/dev/null
        replay_fail "$n" "\`${replay_cmd[$n]}\` did not end within $seconds s (it hangs, or waits for something that never comes)"
    fi
    replay_reap "$n"
    if grep -q -E '^==[0-9]+==ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' \
        "$replay_dir/$n.err"; then
        replay_fail "$n" "the sanitizer found a problem in \`${replay_cmd[$n]}\`: its report is on stderr below"
    fi
}

expect_exit() {
    local n=$1 status=$2
    replay_reap "$n"
    if [ "${replay_status[$n]}" != "$status" ] || [ "$(replay_describe_end "$n")" != "exited with status $status" ]; then
        replay_fail "$n" "\`${replay_cmd[$n]}\` should exit with status $status, but it $(replay_describe_end "$n")"
    fi
}

# The last line program N printed on stderr that is not empty.
replay_last_error() {
    grep -v '^$' "$replay_dir/$1.err" | tail -n 1
}

expect_usage() {
    local n=$1
    replay_reap "$n"
    if [ "${replay_status[$n]}" != 2 ]; then
        replay_fail "$n" "\`${replay_cmd[$n]}\` is a usage error: it should exit with status 2, but it $(replay_describe_end "$n")"
    fi
    if [ -z "$(replay_last_error "$n")" ]; then
        replay_fail "$n" "\`${replay_cmd[$n]}\` is a usage error: it should say what is wrong on stderr, but it printed nothing there"
    fi
    if [ -s "$replay_dir/$n.out" ]; then
        replay_fail "$n" "\`${replay_cmd[$n]}\` is a usage error: it should print nothing on stdout"
    fi
}

# expect_error N 'call|other' 'strerror text'
expect_error() {
    local n=$1 calls=$2 reason=$3 last named=no call
    last=$(replay_last_error "$n")
    if [ -z "$last" ]; then
        replay_fail "$n" "\`${replay_cmd[$n]}\` should report the failure on stderr, naming the call ${calls:+(${calls//|/ or }) }and its error \"$reason\", but it printed nothing there"
    fi
    if [ -z "$calls" ]; then
        named=yes
    fi
    IFS='|' read -r -a call_list <<<"$calls"
    for call in "${call_list[@]}"; do
        case $last in *"$call"*) named=yes ;; esac
    done
    case $last in *"$reason"*) ;; *) named=no ;; esac
    if [ $named = no ]; then
        replay_fail "$n" "the last line \`${replay_cmd[$n]}\` prints on stderr should name the call ${calls:+(${calls//|/ or }) }and its error \"$reason\" (strerror)" \
            "expected: a line with ${calls:+\"${calls//|/\" or \"}\" and }\"$reason\"" \
            "actual:   \"$last\""
    fi
}

expect_error_mentions() {
    local n=$1 text=$2 last
    last=$(replay_last_error "$n")
    case $last in
    *"$text"*) ;;
    *)
        replay_fail "$n" "the last line \`${replay_cmd[$n]}\` prints on stderr should mention \"$text\"" \
            "actual:   \"$last\""
        ;;
    esac
}

expect_error_said() {
    local n=$1
    if [ -z "$(replay_last_error "$n")" ]; then
        replay_fail "$n" "\`${replay_cmd[$n]}\` should say on stderr what went wrong, but it printed nothing there"
    fi
}

expect_no_stdout() {
    local n=$1
    if [ -s "$replay_dir/$n.out" ]; then
        replay_fail "$n" "\`${replay_cmd[$n]}\` should print nothing on stdout"
    fi
}

# Program N's stdout is exactly TEXT: shown against it (diff) if not.
expect_stdout() {
    local n=$1 text=$2
    if ! printf '%s' "$text" | cmp -s - "$replay_dir/$n.out"; then
        replay_fail "$n" "\`${replay_cmd[$n]}\`'s stdout is not what the handout asks (- expected, + actual):" \
            "$(printf '%s' "$text" | diff -u --label expected --label actual - "$replay_dir/$n.out" | tail -n +3 | cat -A | sed 's/\$$//' | head -n 20)"
    fi
}

# Program N's stdout has these lines, in this order, among others.
expect_stdout_has() {
    local n=$1 want
    local -a lines
    shift
    mapfile -t lines <"$replay_dir/$n.out"
    local at=0
    for want in "$@"; do
        while [ $at -lt ${#lines[@]} ] && [ "${lines[$at]}" != "$want" ]; do
            at=$((at + 1))
        done
        if [ $at -ge ${#lines[@]} ]; then
            replay_fail "$n" "\`${replay_cmd[$n]}\` should print the line \"$want\" on stdout" \
                "expected: \"$want\"" "actual:   (no such line, in that order)"
        fi
        at=$((at + 1))
    done
}

# Complete lines (ending in a newline) program N has printed.
replay_lines() {
    local count
    count=$(wc -l <"$replay_dir/$1.out")
    printf '%s' "${count// /}"
}

# Line NUMBER (1 for the first) of program N's stdout.
replay_line() {
    sed -n "$2{p;q}" "$replay_dir/$1.out"
}

# await_line N REGEX SECONDS: wait for a line matching REGEX (lines before
# it are passed over); it is in $line.
await_line() {
    local n=$1 regex=$2 seconds=$3 result=0
    # 0: a line matched (it is in $line); 2: none, and program N ended; 1:
    # none yet.
    matching_line_came() {
        # Whether it runs is asked before its lines are read: a line
        # printed just before it ended is still read.
        local ended=no
        replay_running "$n" || ended=yes
        while [ "${replay_read[$n]}" -lt "$(replay_lines "$n")" ]; do
            replay_read[$n]=$((replay_read[$n] + 1))
            line=$(replay_line "$n" "${replay_read[$n]}")
            if [[ $line =~ $regex ]]; then
                return 0
            fi
        done
        [ $ended = yes ] && return 2
        return 1
    }
    replay_poll "$seconds" 20 matching_line_came || result=$?
    case $result in
    2) replay_fail "$n" "\`${replay_cmd[$n]}\` should print a line matching /$regex/, but it $(replay_describe_end "$n") first" ;;
    1) replay_fail "$n" "\`${replay_cmd[$n]}\` should print a line matching /$regex/ within $seconds s, but it did not (it is still running; is its output flushed?)" ;;
    esac
}

# await_number N REGEX SECONDS VARIABLE: await_line, and the number in the
# pattern's group goes into VARIABLE.
await_number() {
    await_line "$1" "$2" "$3"
    printf -v "$4" '%s' "${BASH_REMATCH[1]}"
    say "  (it printed ${BASH_REMATCH[1]})"
}

# Program N's next line is exactly TEXT.
expect_next_line() {
    local n=$1 text=$2 seconds=$3 result=0
    # 0: a line came; 2: none, and program N ended; 1: none yet.
    next_line_came() {
        # Whether it runs is asked before its lines are counted: a line
        # printed just before it ended still counts.
        local ended=no
        replay_running "$n" || ended=yes
        [ "${replay_read[$n]}" -lt "$(replay_lines "$n")" ] && return 0
        [ $ended = yes ] && return 2
        return 1
    }
    replay_poll "$seconds" 20 next_line_came || result=$?
    case $result in
    2) replay_fail "$n" "\`${replay_cmd[$n]}\` should print the line \"$text\" next, but it $(replay_describe_end "$n") first" ;;
    1) replay_fail "$n" "\`${replay_cmd[$n]}\` should print the line \"$text\" next, but it printed nothing more within $seconds s" ;;
    esac
    replay_read[$n]=$((replay_read[$n] + 1))
    line=$(replay_line "$n" "${replay_read[$n]}")
    if [ "$line" != "$text" ]; then
        replay_fail "$n" "\`${replay_cmd[$n]}\` printed another line than the handout asks" \
            "expected: \"$text\"" "actual:   \"$line\""
    fi
}

send_line() {
    local n=$1
    say "  (the line \"$2\" goes to \`${replay_cmd[$n]}\`)"
    if ! printf '%s\n' "$2" >&"${replay_fd[$n]}"; then
        replay_fail "$n" "\`${replay_cmd[$n]}\` closed its stdin (or ended) instead of reading its input"
    fi
}

close_stdin() {
    local n=$1
    say "  (the input of \`${replay_cmd[$n]}\` ends: Ctrl-D)"
    exec {replay_fd[$n]}>&-
}

# Program N waits: asleep in a system call (for input, a semaphore, a signal).
wait_blocked() {
    local n=$1 seconds=$2 result=0
    replay_poll "$seconds" 20 program_in_state_S || result=$?
    case $result in
    2) replay_fail "$n" "\`${replay_cmd[$n]}\` should be waiting, but it $(replay_describe_end "$n")" ;;
    1) replay_fail "$n" "\`${replay_cmd[$n]}\` should wait (for input, or a signal) but it kept running for $seconds s (a busy loop?)" ;;
    esac
}

# program_in_state_S, program_in_state_T: for replay_poll, program $n is
# asleep in a system call (S) or stopped (T): 0; 2 if it ended; 1 if not yet.
program_in_state() {
    [ "$(replay_state "${replay_pid[$n]}")" = "$1" ] && return 0
    replay_running "$n" || return 2
    return 1
}
program_in_state_S() { program_in_state S; }
program_in_state_T() { program_in_state T; }

send_signal() {
    local n=$1 signal=$2
    wait_blocked "$n" "$3"
    say "  (kill -$signal \`${replay_cmd[$n]}\`)"
    kill "-${signal#SIG}" -- "-${replay_pid[$n]}"
}

wait_stopped() {
    local n=$1 seconds=$2 result=0
    replay_poll "$seconds" 20 program_in_state_T || result=$?
    case $result in
    2) replay_fail "$n" "\`${replay_cmd[$n]}\` $(replay_describe_end "$n") before it reached the point where the test stops it" ;;
    1) replay_fail "$n" "\`${replay_cmd[$n]}\` never reached the point where the test stops it (it should make the call the handout names)" ;;
    esac
    say "  (\`${replay_cmd[$n]}\` stopped where the test stops it)"
}

resume() {
    say "  (\`${replay_cmd[$1]}\` goes on)"
    kill -CONT -- "-${replay_pid[$1]}"
}

# follow N STALL_SECONDS TOTAL_SECONDS: let program N print until it ends,
# falls silent for STALL_SECONDS, or TOTAL_SECONDS pass.
follow() {
    local n=$1 stall=$2 total=$3 last=-1 quiet=0 elapsed=0 now
    while replay_running "$n"; do
        now=$(stat -c %s "$replay_dir/$n.out")
        if [ "$now" = "$last" ]; then
            quiet=$((quiet + 1))
        else
            quiet=0
            last=$now
        fi
        elapsed=$((elapsed + 1))
        if awk -v q="$quiet" -v s="$stall" -v e="$elapsed" -v t="$total" \
            'BEGIN { exit !(q / 10 >= s || e / 10 >= t) }'; then
            say "  (\`${replay_cmd[$n]}\` printed nothing more for $stall s, or ran $total s: the grader stops following here)"
            return
        fi
        sleep 0.1
    done
}

# --- names and keys ------------------------------------------------------------

# The test uses the POSIX object NAME: a copy left by an earlier run goes,
# and so does the object when the script ends.
uses_name() {
    local path
    path=$(replay_shm_path "$1")
    rm -f "$path"
    replay_names+=("$path")
}

# The test uses the System V key KEY: the same.
uses_key() {
    replay_ipc remove-at "key:$1" 2>/dev/null
    replay_keys+=("key:$1")
}

# --- objects: POSIX shared memory ----------------------------------------------

replay_shm_path() {
    printf '/dev/shm/%s' "${1#/}"
}

# make_shm_object NAME SIZE MODE PRINTF-FORMAT: the object, as a program
# would leave it.
make_shm_object() {
    local path
    path=$(replay_shm_path "$1")
    replay_names+=("$path")
    # shellcheck disable=SC2059 # the format is the object's bytes
    printf "$4" >"$path" && truncate -s "$2" "$path" && chmod "$3" "$path" ||
        replay_fail "" "the script cannot make the object $1"
    say "  (the test made the object $1: $2 bytes, mode $3)"
}

# show_shm_object NAME WHEN: the object must exist; its first bytes.
show_shm_object() {
    local path
    path=$(replay_shm_path "$1")
    if [ ! -e "$path" ]; then
        replay_fail "" "$2, $1 should exist in /dev/shm, but it does not"
    fi
    say "  (the grader read $1 $2: it begins with)"
    od -A d -c "$path" | head -n 4 | sed 's/^/      /'
}

expect_shm_object() {
    local name=$1 size=$2 mode=$3 when=$4 path found
    path=$(replay_shm_path "$name")
    if [ ! -e "$path" ]; then
        replay_fail "" "$when, $name should exist in /dev/shm, but it does not"
    fi
    found=$(stat -c %s "$path")
    if [ "$found" != "$size" ]; then
        replay_fail "" "$when, $name should be $size bytes (ftruncate), but it is $found"
    fi
    found=$(stat -c %a "$path")
    if [ "$((8#$found))" != "$((8#$mode))" ]; then
        replay_fail "" "$when, $name should have mode $mode (only its owner may read or write), but it has 0$found"
    fi
}

expect_no_shm_object() {
    if [ -e "$(replay_shm_path "$1")" ]; then
        replay_fail "" "$2, $1 should be gone ($3), but it is still in /dev/shm"
    fi
}

# --- objects: System V (the grader's own tool makes and reads them) ------------

replay_ipc() {
    "$SHMGRADE" --ipc "$@"
}

make_segment() {
    local id
    id=$(replay_ipc make-segment "$2" "$3") || replay_fail "" "the script cannot make a segment"
    printf -v "$1" '%s' "$id"
    replay_keys+=("segment:$id")
    say "  (the test made segment $id: $2 bytes, holding $3)"
}

remove_segment() {
    replay_ipc remove-segment "$1"
}

exchange_segment() {
    local found
    found=$(replay_ipc exchange "$1" "$2") || replay_fail "" "the script cannot attach to segment $1"
    say "  (segment $1 held $found; the test stored $2 there)"
}

# make_segment_at VARIABLE KEY SIZE: a segment at KEY, as the lab's program
# that creates it would make it (the test plays that program).
make_segment_at() {
    local id
    id=$(replay_ipc make-segment-at "$2" "$3") ||
        replay_fail "" "the script cannot make a segment at key $2"
    printf -v "$1" '%s' "$id"
    replay_keys+=("segment:$id")
    say "  (the test made segment $id at key $2: $3 bytes, as the other program would)"
}

# store_segment_int ID OFFSET VALUE: the test, playing a program, stores
# VALUE in the int at OFFSET (a flag, a counter).
store_segment_int() {
    replay_ipc write-int "$1" "$2" "$3" ||
        replay_fail "" "the script cannot write into segment $1"
    say "  (the test stored $3 at offset $2 of segment $1)"
}

# store_segment_bytes ID OFFSET PRINTF-FORMAT ZEROS: bytes at OFFSET, then
# ZEROS zero bytes.
store_segment_bytes() {
    # shellcheck disable=SC2059 # the format is the bytes
    printf "$3" | replay_ipc write-bytes "$1" "$2" "$4" ||
        replay_fail "" "the script cannot write into segment $1"
}

# replay_poll SECONDS RATE CHECK: run the function CHECK RATE times a
# second, for SECONDS at most, until it returns 0 (what is awaited came) or
# 2 (it can never come: the program ended). Returns what CHECK last
# returned: 0, 2, or 1 when the time ran out.
replay_poll() {
    local seconds=$1 rate=$2 check=$3 tries interval result
    tries=$(awk -v s="$seconds" -v r="$rate" 'BEGIN { print int(s * r) + 1 }')
    interval=$(awk -v r="$rate" 'BEGIN { print 1 / r }')
    while :; do
        "$check" && return 0
        result=$?
        if [ "$result" = 2 ] || [ "$tries" -le 0 ]; then
            return "$result"
        fi
        sleep "$interval"
        tries=$((tries - 1))
    done
}

# await_segment_int ID OFFSET VALUE N SECONDS WHAT: wait until the int at
# OFFSET of segment ID is VALUE (what the test waited for, or found there);
# it must come before program N (0: none) ends and within SECONDS.
await_segment_int() {
    local id=$1 offset=$2 value=$3 n=$4 seconds=$5 what=$6 now shown=$4 result=0
    [ "$n" = 0 ] && shown=''
    # 0: the int is VALUE (or the segment is gone: the program removed it
    # after its last step; the test, still attached, read the value it
    # left); 2: not, and program N ended; 1: not yet.
    segment_int_is_there() {
        local ended=no
        if [ "$n" != 0 ] && ! replay_running "$n"; then
            ended=yes
        fi
        if ! now=$(replay_ipc read-int "$id" "$offset" 2>/dev/null); then
            say "  (segment $id is gone: a program removed it)"
            return 0
        fi
        [ "$now" = "$value" ] && return 0
        [ $ended = yes ] && return 2
        return 1
    }
    replay_poll "$seconds" 100 segment_int_is_there || result=$?
    case $result in
    2) replay_fail "$shown" "the test waited $what (the int at offset $offset of segment $id to become $value), but it is $now and \`${replay_cmd[$n]}\` $(replay_describe_end "$n")" ;;
    1) replay_fail "$shown" "the test waited $what (the int at offset $offset of segment $id to become $value), but it is still $now after $seconds s" ;;
    esac
}

# show_segment ID WHOSE: the segment must exist; what it is.
show_segment() {
    local seen
    seen=$(replay_ipc show-segment "$1" 2>&1) ||
        replay_fail "" "the System V segment $1 ($2) should exist, but IPC_STAT finds none"
    say "  (segment $1: $seen)"
}

expect_no_segment() {
    if replay_ipc show-segment "$1" >/dev/null 2>&1; then
        replay_fail "" "$2, segment $1 should be gone ($3), but it is still there"
    fi
}

expect_no_segment_made_by() {
    local n=$1 left
    left=$(replay_ipc segments-made-by "${replay_pid[$n]}")
    if [ -n "$left" ]; then
        replay_fail "$n" "$2, segments that \`${replay_cmd[$n]}\` created are still there (ids $left)"
    fi
}

# show_sysv_object KIND KEY WHEN: the object must exist; what it is.
show_sysv_object() {
    local seen
    seen=$(replay_ipc show "$1" "$2" 2>&1) ||
        replay_fail "" "$3, a $1 with key $2 (SHMLAB_KEY) should exist, but none does"
    say "  ($seen)"
}

expect_sysv_object() {
    local kind=$1 key=$2 mode=$3 found
    found=$(replay_ipc mode "$kind" "$key") ||
        replay_fail "" "$4, a $kind with key $key (SHMLAB_KEY) should exist, but none does"
    if [ "$((8#$found))" != "$((8#$mode))" ]; then
        replay_fail "" "$4, the $kind's mode should be $mode ($5), but it is $found"
    fi
}

expect_no_sysv_object() {
    local left
    left=$(replay_ipc at-key "$1")
    if [ -n "$left" ]; then
        replay_fail "" "$2, $left is still there: $3"
    fi
}

remove_sysv_object() {
    replay_ipc remove "$1" "$2"
    say "  (the test removed the $1 at key $2)"
}

make_semaphore_set() {
    local id
    id=$(replay_ipc make-semaphores "$2" "$3" "$4") || replay_fail "" "the script cannot make a semaphore set"
    printf -v "$1" '%s' "$id"
    say "  (the test made a set of $3 semaphores at key $2, not yet initialised)"
}

set_semaphore() {
    replay_ipc set-semaphore "$1" "$2" "$3"
}

change_semaphore() {
    replay_ipc change-semaphore "$1" "$2" "$3"
}

# await_semaphore_queue KEY SECONDS N...: each program N waits on the set
# at KEY (asleep in semop) or has ended.
await_semaphore_queue() {
    local key=$1 seconds=$2 ended waiting
    shift 2
    local programs=("$@")
    # 0: each program waits or has ended; 1: not yet.
    all_queued_or_ended() {
        local n
        ended=0
        for n in "${programs[@]}"; do
            replay_running "$n" || ended=$((ended + 1))
        done
        waiting=$(replay_ipc waiters "$key")
        [ $((ended + waiting)) -ge ${#programs[@]} ]
    }
    replay_poll "$seconds" 20 all_queued_or_ended ||
        replay_fail "" "$# program(s) should each wait on the semaphore set with key $key (asleep in semop) or end, but after $seconds s $waiting wait and $ended ended"
}

# await_all_end KEY SECONDS N...: every program N ends, or they deadlock
# on the set at KEY.
await_all_end() {
    local key=$1 seconds=$2 running looks=0 result=0
    shift 2
    local programs=("$@")
    # 0: every program ended; 2: those running all waited on the set, two
    # looks in a row (a deadlock); 1: not yet.
    all_ended_or_deadlocked() {
        local n
        running=0
        for n in "${programs[@]}"; do
            replay_running "$n" && running=$((running + 1))
        done
        [ $running -eq 0 ] && return 0
        if [ "$(replay_ipc waiters "$key")" -ge $running ]; then
            looks=$((looks + 1))
        else
            looks=0
        fi
        [ $looks -ge 2 ] && return 2
        return 1
    }
    replay_poll "$seconds" 20 all_ended_or_deadlocked || result=$?
    case $result in
    2) replay_fail "" "deadlock: the $running program(s) still running all wait on the semaphore set with key $key, and none of them can ever give it back" ;;
    1) replay_fail "" "the programs should end within $seconds s, but $running of $# are still running" ;;
    esac
}

# --- the end -------------------------------------------------------------------

# Stop every program, remove what the test named, and the files.
replay_clean_up() {
    local status=$? n
    if [ -n "${REPLAY_PAUSE:-}" ] && [ -t 0 ]; then
        read -r -p "(paused: the programs and objects are as the step left them; Enter ends) "
    fi
    exec 2>/dev/null # no word from bash about the programs it kills
    for n in "${!replay_pid[@]}"; do
        kill -KILL -- "-${replay_pid[$n]}" 2>/dev/null
    done
    wait 2>/dev/null
    for n in "${!replay_pid[@]}"; do
        for id in $(replay_ipc segments-made-by "${replay_pid[$n]}" 2>/dev/null); do
            replay_keys+=("segment:$id")
        done
    done
    for name in "${replay_names[@]}"; do
        rm -f "$name"
    done
    for key in "${replay_keys[@]}"; do
        replay_ipc remove-at "$key" 2>/dev/null
    done
    rm -rf "$replay_dir"
    if [ -n "${replay_variant:-}" ]; then
        make -s clean >/dev/null 2>&1 # the next make builds the usual programs again
    fi
    return $status
}
trap replay_clean_up EXIT

# replay_build [VARIANT]: the programs, built as the test's build was.
replay_build() {
    replay_variant=${1:-}
    if [ -n "$replay_variant" ]; then
        make -s clean >/dev/null && make -s "VARIANT=$replay_variant" || {
            echo "replay: the lab does not build (make VARIANT=$replay_variant)"
            exit 2
        }
    else
        make -s || {
            echo "replay: the lab does not build (make)"
            exit 2
        }
    fi
    if [ "$(id -u)" = 0 ]; then
        say "(you are root: file modes do not keep you out, so a step about permissions may go"
        say " otherwise than when graded, where your programs ran as an ordinary user)"
    fi
}

# The preload library a test's schedules and stop points need.
replay_perturb() {
    SHMLAB_PERTURB=$replay_dir/libshmlab-perturb.so
    replay_ipc perturb-library "$SHMLAB_PERTURB" || exit 2
}

# The end of a script whose every step went as the test expects. When
# graded, the test passed (passed), or failed at its last step (failed):
# then it has steps after it that this script does not know.
replay_end() {
    if [ "$1" = passed ]; then
        printf '%sEvery step went as the test expects: it passes.%s\n' "$replay_green" "$replay_reset"
    else
        printf '%sEvery step went as the test expects now. When graded, the test stopped at the\n' \
            "$replay_green"
        printf 'last one, so it has more: grade it again for a script with the rest.%s\n' \
            "$replay_reset"
    fi
}
