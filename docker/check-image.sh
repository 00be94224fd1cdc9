#!/usr/bin/env bash
# check-image.sh [--base IMAGE] - build shmlab's Docker images and prove
# what docker/README.md says of them, on this machine's Docker.
#
# Builds, from committed files (HEAD: uncommitted changes are not tested),
# on a Debian bookworm base made here with debootstrap and `docker import`
# (no image registry needed; --base IMAGE uses an image the daemon has):
#
#   student, grading   docker/build-images, as instructors build them
#   the dev container  as .devcontainer/devcontainer.json says
#
# and checks, each as one line:
#
#   - the student image holds no solution, corpus submission or hidden test
#     (no file equal to one, no hidden_tests.c, no hidden test's title in
#     any file, its grader's list without hidden tests); the grading image
#     holds no solution, corpus submission or hidden test source, and its
#     grader lists the hidden tests;
#   - the student image, run as the README tells a student (a working copy
#     with the solutions at /work), gives full marks; a failing corpus
#     entry (CORPUS_ENTRY, default tests/corpus/01-posix-shm/writer-unlinks)
#     fails exactly its EXPECTED tests, in both images;
#   - the grading image grades a class (shmclass) into a mounted folder
#     whose files then belong to the caller, in a default container and as
#     root with the capabilities a sandbox user needs; so does the student image's `make grade` with
#     --user, in a mounted working copy;
#   - isolation: the grading image grades the solutions, every lab with its
#     hidden tests, in full in the default, unprivileged container (the
#     fallback, none, as an ordinary user) and with each set of options
#     docker/README.md names for a stronger level, at that level; without
#     the option that makes the difference, the level falls back; the
#     grader as root without CAP_IPC_OWNER, CAP_SYS_ADMIN and CAP_SYS_PTRACE
#     refuses to grade, naming them;
#   - a /dev/shm too small (--shm-size=16m) is refused with its remedy;
#   - the dev container builds, runs as its user and grades with make grade.
#
# Needs root, or a user of the docker group where a daemon runs. Installs
# what it lacks (scripts/install-deps --docker); uses the running Docker
# daemon, or starts one of its own (no bridge network: builds use the
# host's network, containers none) and stops it at the end. Removes every
# container, image, file and folder it made. Prints the image sizes and
# how long each step took; the last line is "check-image: N passed, M failed".
# Exit status: 0 when every check passed, 1 when one failed, 2 when it could
# not run.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
base_given=""
while [ $# -gt 0 ]; do
    case $1 in
    --base)
        base_given=${2:?check-image: --base needs an image}
        shift 2
        ;;
    -h | --help)
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
        exit 0
        ;;
    *)
        echo "check-image: unknown option '$1' (--base IMAGE, --help)" >&2
        exit 2
        ;;
    esac
done
entry_path=${CORPUS_ENTRY:-tests/corpus/01-posix-shm/writer-unlinks}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { printf 'check-image: %s\n' "$*"; }
die() {
    printf 'check-image: %s\n' "$*" >&2
    exit 2
}

# --- what it needs -------------------------------------------------------------

missing=()
for tool in docker git patch jq; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ! docker info >/dev/null 2>&1; then
    command -v dockerd >/dev/null || missing+=(dockerd)
fi
[ -n "$base_given" ] || command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing what is missing (${missing[*]}): scripts/install-deps --docker"
    "$root/scripts/install-deps" --docker || die "could not install ${missing[*]}"
fi

# --- everything it makes, and its removal ----------------------------------------

run_id=shmlab-check-$$
work=$(mktemp -d "${TMPDIR:-/var/tmp}/shmlab-check.XXXXXX")
chmod 755 "$work" # the containers' users read the submissions mounted from here
own_dockerd_pid=""
images=()
containers=()
step_start=$(date +%s)
timings=()

timed() { # NAME: the time since the last timed step, recorded
    local now
    now=$(date +%s)
    timings+=("$1: $((now - step_start)) s")
    step_start=$now
}

clean_up() {
    local status=$?
    set +e
    for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
    if [ -n "$own_dockerd_pid" ]; then
        # Its data root goes with it: containers, images, build cache.
        kill "$own_dockerd_pid" 2>/dev/null
        for _ in $(seq 60); do
            kill -0 "$own_dockerd_pid" 2>/dev/null || break
            sleep 1
        done
        kill -9 "$own_dockerd_pid" 2>/dev/null
        # Mounts it left under its folders (overlays, the netns) go first.
        grep -o " $work/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do
            umount -l "$m" 2>/dev/null
        done
    else
        for i in "${images[@]}"; do docker rmi -f "$i" >/dev/null 2>&1; done
        # The classic builder's untagged stages, each labelled by the base.
        docker image prune -f --filter "label=org.shmlab.check=$run_id" >/dev/null 2>&1
    fi
    rm -rf "$work"
    exit "$status"
}
trap clean_up EXIT
trap 'exit 130' INT TERM

# --- the daemon --------------------------------------------------------------------

if ! docker info >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "no Docker daemon answers, and starting one needs root"
    mkdir -p "$work/docker"
    # No bridge, no iptables: builds use the host's network, runs none.
    dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" \
        --host "unix://$work/docker/docker.sock" --pidfile "$work/docker/dockerd.pid" \
        --bridge none --iptables=false --ip-forward=false --ip-masq=false \
        >"$work/docker/dockerd.log" 2>&1 &
    own_dockerd_pid=$!
    export DOCKER_HOST=unix://$work/docker/docker.sock
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && break
        kill -0 "$own_dockerd_pid" 2>/dev/null || break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        tail -n 20 "$work/docker/dockerd.log" >&2
        die "the dockerd it started does not answer (its log is above)"
    fi
    say "started dockerd $(docker version --format '{{.Server.Version}}') (pid $own_dockerd_pid), stopped at the end"
else
    say "using the running Docker daemon $(docker version --format '{{.Server.Version}}')"
fi
timed "daemon"

# --- committed files: what the images are built from, and what they are checked against ---

say "testing HEAD $(git -C "$root" rev-parse --short HEAD); uncommitted changes are not in the images"
"$root/scripts/export-committed" check-image "$work/tree" solutions tests/corpus \
    scripts/stage-submission >/dev/null 2>"$work/export.log" || {
    cat "$work/export.log" >&2
    die "could not export the committed solutions and corpus"
}
"$root/scripts/export-student" check-image "$work/pack" >/dev/null 2>/dev/null
[ -f "$work/tree/$entry_path/EXPECTED" ] || die "no corpus entry $entry_path (CORPUS_ENTRY)"
entry_lab=$(basename "$(dirname "$entry_path")")
entry_name=$(basename "$entry_path")
expected_fails=$(sed -n 's/^fails:[[:space:]]*//p' "$work/tree/$entry_path/EXPECTED" | tr -s ' ' '\n' |
    grep -v -x -e '' -e none -e nothing | sort -u)

# The submissions, as a student's working copy (the pack with every lab
# solved) and as a flat folder of the corpus entry; all readable by the
# containers' users.
cp -R "$work/pack" "$work/solved"
for lab_dir in "$work/tree/solutions"/*/; do
    cp "$lab_dir"* "$work/solved/labs/$(basename "$lab_dir")/"
done
"$work/tree/scripts/stage-submission" "$entry_lab" "$work/entry" "$work/tree/$entry_path"
chmod -R a+rX "$work/solved" "$work/entry" "$work/tree"

# Who the files written to mounted folders must belong to: the caller, or,
# when the caller is root (everything would be root's anyway), a user
# standing in for the host user who is not.
if [ "$(id -u)" -eq 0 ]; then
    caller=4321:4321
else
    caller=$(id -u):$(id -g)
fi

# --- the images ------------------------------------------------------------------------

if [ -n "$base_given" ]; then
    base=$base_given
    build_label=(--label "org.shmlab.check=$run_id")
else
    say "making a Debian bookworm base with debootstrap from $mirror"
    if ! debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
        tail -n 20 "$work/debootstrap.log" >&2
        die "debootstrap failed (its log is above)"
    fi
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    base=$run_id-base:bookworm
    # The label reaches every image built on it, the builder's untagged
    # stages too: the clean-up finds them by it.
    tar -C "$work/rootfs" -c . | docker import --change "LABEL org.shmlab.check=$run_id" - "$base" >/dev/null
    images+=("$base")
    rm -rf "$work/rootfs"
    build_label=()
    timed "base image (debootstrap, docker import)"
fi

student=$run_id-student grading=$run_id-grading dev=$run_id-dev
images+=("$student" "$grading" "$dev")
if ! "$root/docker/build-images" --base "$base" --name "$run_id" -- --network host \
    "${build_label[@]}" >"$work/build-images.log" 2>&1; then
    cat "$work/build-images.log" >&2
    die "docker/build-images failed (its output is above)"
fi
cat "$work/build-images.log"
timed "student and grading images (docker/build-images)"

# The dev container, as devcontainer.json builds it, from a student's
# repository (the pack).
devcontainer=$work/pack/.devcontainer/devcontainer.json
dev_args=()
while IFS= read -r arg; do
    dev_args+=(--build-arg "$arg")
done < <(jq -r '.build.args // {} | to_entries[] | "\(.key)=\(.value)"' "$devcontainer")
dev_dockerfile=$work/pack/.devcontainer/$(jq -r '.build.dockerfile' "$devcontainer")
dev_context=$work/pack/.devcontainer/$(jq -r '.build.context' "$devcontainer")
if ! docker build --network host "${build_label[@]}" --build-arg "BASE=$base" "${dev_args[@]}" \
    -f "$dev_dockerfile" --target "$(jq -r '.build.target' "$devcontainer")" -t "$dev" \
    "$dev_context" >"$work/dev-build.log" 2>&1; then
    tail -n 40 "$work/dev-build.log" >&2
    die "the dev container's image did not build (its log is above)"
fi
timed "dev container image"

# --- the checks --------------------------------------------------------------------------

passed=0 failed=0
pass() {
    passed=$((passed + 1))
    printf 'ok   %s\n' "$1"
}
fail() {
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$1"
    [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/     /' | head -n 20
}
check() { # DESCRIPTION COMMAND...: passes when the command succeeds
    local description=$1
    shift
    local out
    if out=$("$@" 2>&1); then
        pass "$description"
    else
        fail "$description" "$out"
    fi
}

nothing_found() { # DESCRIPTION FOUND: passes when FOUND is empty, else shows it
    if [ -z "$2" ]; then
        pass "$1"
    else
        fail "$1" "$2"
    fi
}
words() { tr '\n' ' ' <<<"$1" | sed 's/ *$//'; }

# docker run --rm --network none ... (every run: grading needs no network)
run() { docker run --rm --network none "$@"; }

# --- what the images hold

# Hidden tests' titles, from the grading image's list.
run "$grading" shmgrade --list >"$work/grading-list.txt" 2>"$work/list.err"
sed -n 's/^  [^ ][^ ]* *[0-9][0-9]*  \(.*\) (hidden)\(  \[.*\]\)\{0,1\}$/\1/p' \
    "$work/grading-list.txt" >"$work/hidden-titles.txt"
check "the grading image's grader has the hidden tests ($(wc -l <"$work/hidden-titles.txt") listed)" \
    test -s "$work/hidden-titles.txt"
run "$student" shmgrade --list >"$work/student-list.txt" 2>"$work/list.err"
check "the student image's grader lists no hidden test" \
    bash -c "! grep -n ' (hidden)' '$work/student-list.txt'"

# Every file an image holds: a tree of its file system.
export_image() { # IMAGE DIR
    local id
    id=$(docker create "$1")
    containers+=("$id")
    mkdir -p "$2"
    docker export "$id" | tar -x -C "$2" --no-same-owner --no-same-permissions 2>/dev/null || true
    docker rm "$id" >/dev/null
}
# The hashes of what must not be shipped: solutions, corpus patches and the
# submissions they make, hidden tests' source.
"$work/tree/scripts/stage-submission" "$entry_lab" "$work/secrets/entry" "$work/tree/$entry_path"
for e in "$work/tree/tests/corpus"/*/*/; do
    lab=$(basename "$(dirname "$e")")
    "$work/tree/scripts/stage-submission" "$lab" "$work/secrets/$lab-$(basename "$e")" "$e" 2>/dev/null || true
done
git -C "$root" ls-tree -r --name-only HEAD labs | grep '/hidden_tests\.c$' | while read -r f; do
    mkdir -p "$work/secrets/hidden/$(dirname "$f")"
    git -C "$root" show "HEAD:$f" >"$work/secrets/hidden/$f"
done
find "$work/tree/solutions" "$work/tree/tests/corpus" "$work/secrets" -type f ! -name EXPECTED \
    ! -empty -exec sha256sum {} + | awk '{print $1}' | sort -u >"$work/secret-hashes.txt"
find "$work/tree/solutions" "$work/tree/tests/corpus" "$work/secrets" -type f ! -name EXPECTED \
    ! -empty -printf '%s\n' | sort -u >"$work/secret-sizes.txt"

# What DIR holds that must not be shipped, one finder per kind: paths
# (hidden_tests.c, solutions/, the corpus), files equal to a secret (hashed:
# the files as large as a secret is), files holding a hidden test's title.
secret_paths() {
    (cd "$1" && find . -xdev \( -name 'hidden_tests*.c' -o -path '*/solutions/*' \
        -o -path '*/tests/corpus*' \) -print) | head || true
}
secret_files() {
    (cd "$1" && find . -xdev -type f -printf '%s %p\n') |
        awk 'NR == FNR { size[$1]; next } $1 in size { sub(/^[0-9]+ /, ""); print }' \
            "$work/secret-sizes.txt" - | (cd "$1" && tr '\n' '\0' | xargs -0 -r sha256sum) |
        grep -F -f "$work/secret-hashes.txt" | head || true
}
secret_titles() {
    grep -r -l -F -f "$work/hidden-titles.txt" "$1" 2>/dev/null | head || true
}

# The finders find: a planted solution, hidden test and title.
canary=$work/canary
mkdir -p "$canary/a/solutions" "$canary/b" "$canary/c"
cp "$(find "$work/tree/solutions" -type f | head -n 1)" "$canary/b/renamed.c"
head -n 1 "$work/hidden-titles.txt" | sed 's/^/printf("%s", "/; s/$/");/' >"$canary/c/notes.c"
touch "$canary/a/solutions/x" "$canary/a/hidden_tests.c"
check "the finders find a planted solution, hidden_tests.c and hidden test title" \
    test -n "$(secret_paths "$canary")" -a -n "$(secret_files "$canary")" \
    -a -n "$(secret_titles "$canary")"

image_holds_no_secret() { # IMAGE NAME HIDDEN_TITLES_TOO
    local dir=$work/fs-$2
    export_image "$1" "$dir"
    nothing_found "the $2 image has no hidden_tests.c, solutions/ or corpus" "$(secret_paths "$dir")"
    nothing_found "no file of the $2 image is a solution, a corpus submission or a hidden test" \
        "$(secret_files "$dir")"
    if [ "$3" = titles ]; then
        nothing_found "no file of the $2 image holds a hidden test's title" "$(secret_titles "$dir")"
    fi
    rm -rf "$dir"
}
image_holds_no_secret "$student" student titles
image_holds_no_secret "$grading" grading no-titles
timed "contents of the images"

# --- grading

# IMAGE DOCKER-RUN-OPTION... -- SHMGRADE-ARG...: shmgrade's JSON report in
# $work/report.json, its stderr in $work/report.err; its exit status.
grade_json() {
    local image=$1 options=()
    shift
    while [ "$1" != -- ]; do
        options+=("$1")
        shift
    done
    shift
    run "${options[@]}" "$image" shmgrade --format json "$@" >"$work/report.json" 2>"$work/report.err"
}
failing_tests() { jq -r '.tests[] | select(.status != "passed") | .id' "$1" | sort -u; }
all_passed() { jq -e '.score == .max_score and ([.tests[] | select(.status != "passed")] | length == 0)' "$1" >/dev/null; }
isolation() { jq -r '.isolation' "$1"; }

# The README's command for a student: the working copy at /work, read-only.
status=0
out=$(run -v "$work/solved:/work:ro" "$student" 2>&1) || status=$?
if [ "$status" -eq 0 ] && grep -q "^TOTAL: \([0-9]*\)/\1 visible" <<<"$out"; then
    pass "student image: the README's command gives a solved working copy full marks"
else
    fail "student image: the README's command gives a solved working copy full marks (exit $status)" "$(tail -n 5 <<<"$out")"
fi
# Which isolation: the JSON report says (the text report only with -v).
ordinary_user="^none (namespaces unavailable: .*).*student programs as the grader's own user"
status=0
grade_json "$student" -v "$work/solved:/work:ro" -- --submission /work --lab "$entry_lab" || status=$?
user=$(run "$student" id -un 2>&1) || true
if [ "$status" -eq 0 ] && [ "$user" = student ] &&
    grep -q "$ordinary_user" <(isolation "$work/report.json"); then
    pass "student image: grading ran as the user 'student', with the fallback isolation (none)"
else
    fail "student image: grading ran as the user 'student', with the fallback isolation (none)" \
        "exit $status, user $user, isolation: $(isolation "$work/report.json" 2>/dev/null)"
fi

# The ids of LAB's tests in a `shmgrade --list` (a header line per lab, a
# line per test under it).
tests_of_lab() { # LAB LIST-FILE
    awk -v lab="$1" '/^[^ ]/ { inside = index($0, lab ":") == 1; next }
        inside && /^  [^ ]/ { print $1 }' "$2" | sort -u
}

# A corpus entry fails exactly the EXPECTED tests the image has.
entry_fails_as_expected() { # IMAGE NAME LIST-FILE
    local status=0 expected got
    grade_json "$1" -v "$work/entry:/sub:ro" -- --submission /sub --lab "$entry_lab" --hidden || status=$?
    expected=$(comm -12 <(echo "$expected_fails") <(tests_of_lab "$entry_lab" "$3"))
    got=$(failing_tests "$work/report.json" 2>/dev/null || true)
    if [ "$status" -eq 1 ] && [ -n "$got" ] && [ "$got" = "$expected" ]; then
        pass "$2 image: $entry_lab/$entry_name fails exactly $(words "$got")"
    else
        fail "$2 image: $entry_lab/$entry_name fails exactly $(words "$expected")" \
            "exit $status, failed: $(words "$got"); $(head -c 300 "$work/report.err")"
    fi
}
entry_fails_as_expected "$student" student "$work/student-list.txt"
entry_fails_as_expected "$grading" grading "$work/grading-list.txt"

# A class, into a folder of the caller's, with DOCKER-RUN-OPTIONS.
mkdir -p "$work/class/reference" "$work/class/$entry_name/$entry_lab"
cp -R "$work/tree/solutions/$entry_lab" "$work/class/reference/"
cp "$work/entry/"* "$work/class/$entry_name/$entry_lab/"
chmod -R a+rX "$work/class"
class_graded_in() { # DESCRIPTION DOCKER-RUN-OPTION...
    local description=$1 grades=$work/grades status=0 out owners
    shift
    rm -rf "$grades" && mkdir "$grades" && chown "$caller" "$grades"
    out=$(run "$@" -v "$work/class:/class:ro" -v "$grades:/grades" "$grading" \
        shmclass --lab "$entry_lab" --output /grades /class 2>&1) || status=$?
    if [ "$status" -eq 0 ] && all_passed "$grades/students/reference/report.json" &&
        [ "$(failing_tests "$grades/students/$entry_name/report.json")" = "$expected_fails" ]; then
        pass "$description: shmclass grades the class (the reference in full, $entry_name failing exactly EXPECTED)"
    else
        fail "$description: shmclass grades the class (exit $status)" "$out
reference failed: $(words "$(failing_tests "$grades/students/reference/report.json" 2>/dev/null)")
$entry_name failed: $(words "$(failing_tests "$grades/students/$entry_name/report.json" 2>/dev/null)")
$(jq -r '.tests[] | select(.status != "passed") | "\(.id): \(.message)"' \
            "$grades/students/reference/report.json" 2>/dev/null)"
    fi
    owners=$(find "$grades" ! -user "${caller%%:*}" -printf '%u %p\n' | head || true)
    [ -n "$(ls -A "$grades")" ] || owners="nothing was written"
    nothing_found "$description: every file written to /grades belongs to the folder's owner ($caller)" \
        "$owners"
}
class_graded_in "grading image, default container"
class_graded_in "grading image, as root with the capabilities" --cap-add IPC_OWNER \
    --cap-add SYS_ADMIN --cap-add SYS_PTRACE

# A student's make grade, with --user, in a mounted working copy.
cp -R "$work/pack" "$work/copy" && chown -R "$caller" "$work/copy"
status=0
out=$(run --user "$caller" -v "$work/copy:/work" "$student" make grade LAB="${entry_lab%%-*}" 2>&1) ||
    status=$?
owners=$(find "$work/copy" ! -user "${caller%%:*}" -printf '%u %p\n' | head || true)
if [ "$status" -eq 0 ] && [ -x "$work/copy/build/shmgrade" ] && [ -z "$owners" ]; then
    pass "student image: make grade with --user $caller builds and grades; every file it wrote is the caller's"
else
    fail "student image: make grade with --user $caller builds and grades; every file it wrote is the caller's (exit $status)" \
        "$(tail -n 3 <<<"$out")$owners"
fi
timed "grading in the images"

# --- isolation: the solutions, every lab with its hidden tests, graded in
# full in each way docker/README.md names, at the level it promises; and
# the fallback without the option that makes the difference

solutions_graded_in() { # DESCRIPTION EXPECTED-LEVEL-PATTERN DOCKER-RUN-OPTION...
    local description=$1 pattern=$2 status=0
    shift 2
    grade_json "$grading" "$@" -v "$work/tree/solutions:/sub:ro" -- --submission /sub --hidden ||
        status=$?
    if [ "$status" -eq 0 ] && all_passed "$work/report.json" &&
        grep -q "$pattern" <(isolation "$work/report.json"); then
        pass "$description ($(jq -r '"\(.score)/\(.max_score)"' "$work/report.json"))"
    else
        fail "$description (exit $status)" "$(isolation "$work/report.json" 2>/dev/null)
$(jq -r '.tests[] | select(.status != "passed") | "\(.lab)/\(.id): \(.message)"' \
            "$work/report.json" 2>/dev/null)
$(head -c 600 "$work/report.err")"
    fi
}
solutions_graded_in "default container: the solutions in full, graded as an ordinary user (none)" \
    "$ordinary_user"
root_namespaces=(--cap-add SYS_ADMIN --cap-add IPC_OWNER --cap-add SYS_PTRACE
    --security-opt apparmor=unconfined)
solutions_graded_in "${root_namespaces[*]}: in full, namespaces" '^namespaces: ' \
    "${root_namespaces[@]}"
solutions_graded_in "... and --security-opt seccomp=unconfined (an older Docker's profile): namespaces" \
    '^namespaces: ' "${root_namespaces[@]}" --security-opt seccomp=unconfined
solutions_graded_in "... and SHMGRADE_ISOLATION=none: in full, student programs as a sandbox user (none)" \
    '^none (as asked).*student programs as user [0-9]' "${root_namespaces[@]}" \
    -e SHMGRADE_ISOLATION=none
solutions_graded_in "... without --cap-add SYS_ADMIN: in full, the fallback (an ordinary user, none)" \
    "$ordinary_user" --cap-add IPC_OWNER --cap-add SYS_PTRACE --security-opt apparmor=unconfined
rootless=(--security-opt seccomp=unconfined --security-opt apparmor=unconfined
    --security-opt systempaths=unconfined)
if grep -q CLONE_NEWUSER "$work/pack/grader/sandbox/"*.c; then
    solutions_graded_in "--user $caller ${rootless[*]}: in full, namespaces without root" \
        '^namespaces (user namespaces' --user "$caller" "${rootless[@]}"
    solutions_graded_in "... without systempaths=unconfined: in full, the fallback (none)" '^none ' \
        --user "$caller" --security-opt seccomp=unconfined --security-opt apparmor=unconfined
else
    say "skipped: namespaces without root (user namespaces): this grader has no such level"
fi

# The grader itself, as root without CAP_IPC_OWNER, CAP_SYS_ADMIN and
# CAP_SYS_PTRACE (the entrypoint set aside): it refuses rather than fail
# tests.
status=0
grade_json "$grading" --entrypoint "" -v "$work/tree/solutions:/sub:ro" -- --submission /sub \
    --lab "$entry_lab" || status=$?
if [ "$status" -eq 3 ] &&
    grep -q "lacks CAP_IPC_OWNER, CAP_SYS_ADMIN, CAP_SYS_PTRACE.*--cap-add IPC_OWNER --cap-add SYS_ADMIN --cap-add SYS_PTRACE" \
        "$work/report.err"; then
    pass "root without the capabilities: shmgrade refuses (exit 3) naming them"
else
    fail "root without the capabilities: shmgrade refuses (exit 3) naming them (exit $status)" \
        "$(cat "$work/report.err")"
fi

# --- /dev/shm

status=0
grade_json "$grading" --shm-size=16m -v "$work/tree/solutions:/sub:ro" -- --submission /sub \
    --lab "$entry_lab" || status=$?
if [ "$status" -eq 3 ] && grep -q "/dev/shm holds only 16 MiB.*--shm-size" "$work/report.err"; then
    pass "--shm-size=16m: refused (exit 3) naming /dev/shm and --shm-size"
else
    fail "--shm-size=16m: refused (exit 3) naming /dev/shm and --shm-size (exit $status)" \
        "$(cat "$work/report.err")"
fi
timed "isolation levels and /dev/shm"

# --- the dev container, as devcontainer.json runs it

mapfile -t run_args < <(jq -r '.runArgs // [] | .[]' "$devcontainer")
dev_user=$(jq -r '.remoteUser' "$devcontainer")
post_create=$(jq -r '.postCreateCommand' "$devcontainer")
cp -R "$work/pack" "$work/workspace" && chown -R 1000:1000 "$work/workspace"
status=0
out=$(run "${run_args[@]}" --user "$dev_user" -v "$work/workspace:/workspaces/shmlab" \
    -w /workspaces/shmlab "$dev" bash -c "$post_create && make grade LAB=${entry_lab%%-*}" 2>&1) ||
    status=$?
if [ "$status" -eq 0 ] && grep -q '^TOTAL: 0/' <<<"$out"; then
    pass "dev container: as '$dev_user', '$post_create' then make grade grades the skeletons (0 points)"
else
    fail "dev container: as '$dev_user', '$post_create' then make grade (exit $status)" "$(tail -n 5 <<<"$out")"
fi
timed "dev container"

# --- the numbers ----------------------------------------------------------------------

say "image sizes:"
for i in "$student" "$grading" "$dev"; do
    printf '    %-28s %5d MB\n' "${i#"$run_id"-}" "$(($(docker image inspect --format '{{.Size}}' "$i") / 1000000))"
done
say "time taken:"
printf '    %s\n' "${timings[@]}"
say "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
