#!/usr/bin/env bash
# Load benchmark (bounded, loopback only; a benchmark, not a test).
#   pages:       a class of N students opening the assignment page (each every THINK s on average),
#                N stepped through SIZES until the p99 passes 200 ms -> class-size-p99-200ms;
#                reference: nginx serving the same page's HTML as a static file at the same rate.
#   submissions: SUBMITTERS students hand in 1 MiB each at once through the SignalR hub;
#                reference: the same students through the plain upload form, same run.
#   chunks:      BOOTS lab machines booting at once, each fetching CHUNKS_PER_BOOT random 128 KiB
#                chunks one after another; reference: nginx serving the same chunk files.
# The portal is the Release build on SQLite (its default), one instance, on 127.0.0.1. The load
# generator runs on the same machine and takes CPU from the portal: compare ratios, not absolutes.
# Knobs: SIZES (100,250,500,750,1000,1500,2000,3000), THINK (5), DURATION (6), SUBMITTERS (500), BOOTS (50),
# CHUNKS_PER_BOOT (32), IMAGE_MIB (64). Needs nginx and curl (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
SIZES=${SIZES:-100,250,500,750,1000,1500,2000,3000}
THINK=${THINK:-5}
DURATION=${DURATION:-6}
SUBMITTERS=${SUBMITTERS:-500}
BOOTS=${BOOTS:-50}
CHUNKS_PER_BOOT=${CHUNKS_PER_BOOT:-32}
IMAGE_MIB=${IMAGE_MIB:-64}
OURS_PORT=${OURS_PORT:-5391}
REF_PORT=${REF_PORT:-5392}
password="bench-load-$RANDOM$RANDOM"

for tool in nginx curl; do
    command -v "$tool" >/dev/null || { echo "bench load: $tool is missing (apt-get install -y nginx-light curl)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/webvm-bench-load.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "bench load: building (Release)" >&2
dotnet build Platform.Web -c Release -nologo -v quiet >/dev/null
dotnet build tools/Vm.ImageBuilder -c Release -nologo -v quiet >/dev/null
dotnet build bench/load/LoadGen -c Release -nologo -v quiet >/dev/null

echo "bench load: a ${IMAGE_MIB} MiB lab image of random bytes, chunked into the portal's store" >&2
head -c $((IMAGE_MIB << 20)) /dev/urandom > "$work/disk.img"
store="$work/data/images"
dotnet tools/Vm.ImageBuilder/bin/Release/net10.0/Vm.ImageBuilder.dll from-raw "$work/disk.img" --store "$store" >/dev/null 2>&1
rm "$work/disk.img"
find "$store/chunks" -type f -regextype egrep -regex '.*/[0-9a-f]{64}' -printf '%f\n' > "$work/hashes"
mkdir -p "$work/static"

# The portal as a school would run one instance: Release, SQLite in its data folder, quiet logs. The
# per-address sign-in limit would stop a class signing in from one loopback address: raised here.
(cd "$work" && ASPNETCORE_URLS="http://127.0.0.1:$OURS_PORT" ASPNETCORE_ENVIRONMENT=Production \
    Platform__DataDirectory="$work/data" Platform__DemoPassword="$password" \
    RateLimits__SignInsPerMinute=1000000 RateLimits__SubmissionsPerMinute=1000000 \
    Logging__LogLevel__Default=Warning \
    exec dotnet "$repo/Platform.Web/bin/Release/net10.0/Platform.Web.dll" >"$work/portal.log" 2>&1) &
pids+=($!)

cat > "$work/nginx.conf" <<NGINX
daemon off;
user root;
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$REF_PORT;
        location = /page.html { root $work/static; default_type text/html; }
        location ~ "^/chunks/(([0-9a-f]{2})([0-9a-f]{2})[0-9a-f]{60})\$" {
            root $store/chunks;
            try_files /\$2/\$3/\$1 =404;
            default_type application/octet-stream;
            add_header Cache-Control "public, max-age=31536000, immutable";
        }
    }
}
NGINX
nginx -p "$work" -c "$work/nginx.conf" &
pids+=($!)

for _ in $(seq 1 240); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OURS_PORT/t/demo/account/login")" = 200 ] && break
    sleep 0.5
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OURS_PORT/t/demo/account/login")" = 200 ] \
    || { echo "bench load: the portal never answered" >&2; cat "$work/portal.log" >&2; exit 1; }

ulimit -n 65536 2>/dev/null || true
dotnet bench/load/LoadGen/bin/Release/net10.0/LoadGen.dll \
    --portal "http://127.0.0.1:$OURS_PORT/" --reference "http://127.0.0.1:$REF_PORT/" \
    --database "$work/data/webvm.db" --password "$password" --static-root "$work/static" --hashes "$work/hashes" \
    --sizes "$SIZES" --think "$THINK" --duration "$DURATION" --submitters "$SUBMITTERS" \
    --boots "$BOOTS" --chunks-per-boot "$CHUNKS_PER_BOOT"
echo "bench load: machine load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
if grep -qE "fail|crit|Exception" "$work/portal.log"; then
    echo "bench load: the portal logged problems:" >&2
    grep -E "fail|crit|Exception" "$work/portal.log" | head -20 >&2
fi
