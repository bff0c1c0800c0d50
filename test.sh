#!/usr/bin/env bash
# Runs every test of WebVM Classroom on a fresh machine: installs what the tests need, builds the
# solution, runs all test projects, and ends with one line "N passed, N failed, N skipped".
# Extra arguments go to `dotnet test` (e.g. ./test.sh --filter "FullyQualifiedName~Grading").
set -euo pipefail
cd "$(dirname "$0")"

scripts/install-test-deps.sh
eval "$(scripts/services/start-test-services.sh)"
if [ -x scripts/guest/build-guest-images.sh ]; then
    # This checkout's version of the images: the tests and their portals use it even if another
    # checkout publishes a different version meanwhile.
    guest_images=$(scripts/guest/build-guest-images.sh)
    WEBVM_GUEST_DIR=$(sed -n 's/^dir: //p' <<<"$guest_images")
    export WEBVM_GUEST_DIR
fi
# The Debian root disk the engine's streamed-disk tests boot (one-time, cached like the guest images).
if [ -x scripts/guest/build-debian-root.sh ]; then
    scripts/guest/build-debian-root.sh >/dev/null
fi

dotnet tool restore >/dev/null
dotnet build WebVm.sln -c Release -nologo -v quiet

mkdir -p artifacts
log=artifacts/test-output.log
set +e
dotnet test WebVm.sln -c Release --no-build -nologo --results-directory artifacts/test-results "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The portal's integration suite a second time, on the PostgreSQL server started above (one database
# per test portal): the database a scale-out deployment runs on. Its counts join the closing line.
echo "[test] Platform.Web.Tests again on PostgreSQL" | tee -a "$log"
WEBVM_TEST_DATABASE=postgres dotnet test tests/Platform.Web.Tests -c Release --no-build -nologo \
    --results-directory artifacts/test-results-postgres "$@" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
set -e

# One closing line for people and CI, summed over the test projects' own summaries.
awk '/(Passed|Failed)! +- +Failed:/ {
        for (i = 1; i <= NF; i++) {
            if ($i == "Failed:") failed += $(i + 1) + 0
            if ($i == "Passed:") passed += $(i + 1) + 0
            if ($i == "Skipped:") skipped += $(i + 1) + 0
        }
     }
     END { printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped }' "$log"
exit "$status"
