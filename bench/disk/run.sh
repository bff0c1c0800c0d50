#!/usr/bin/env bash
# Disk benchmarks, all in one run.
#   fetched-share, boot-cold, boot-warm: the engine (tools/Vm.Cli, Release) boots the Debian root
#   (scripts/guest/build-debian-root.sh: the debian-dev course recipe) streamed over HTTP from nginx
#   on loopback, through a chunk cache and an overlay, to bash's prompt. fetched-share = bytes of
#   chunks fetched / bytes of the image's stored (non-zero) chunks, cold cache (goal: under 0.10).
#   boot-cold: empty cache; boot-warm: the same cache again; both against the same boot reading the
#   chunks straight from the store's files (no HTTP, no cache), measured in the same run.
#   chunk-throughput: the portal's GET /chunks/{sha256} against nginx serving the same chunk folder,
#   both on loopback, loaded by wrk with random chunks of one image (every response a whole 128 KiB chunk).
# Knobs: BOOT=0 skips the boots, BOOT_TIMEOUT seconds (900), IMAGE_MIB (64), DURATION seconds per server (10), CONNECTIONS (8), THREADS (1).
# Needs: wrk and nginx (apt-get install -y wrk nginx-light), the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
IMAGE_MIB=${IMAGE_MIB:-64}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-1}
OURS_PORT=${OURS_PORT:-5381}
REF_PORT=${REF_PORT:-5382}

for tool in wrk nginx; do
    command -v "$tool" >/dev/null || { echo "bench disk: $tool is missing (apt-get install -y wrk nginx-light)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/webvm-bench-disk.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "bench disk: building (Release)" >&2
dotnet build tools/Vm.ImageBuilder -c Release -nologo -v quiet >/dev/null
dotnet build Platform.Web -c Release -nologo -v quiet >/dev/null
dotnet build tools/Vm.Cli -c Release -nologo -v quiet >/dev/null

# One image of random bytes (no zero chunks, nothing deduplicated): every chunk is a real file.
head -c $((IMAGE_MIB << 20)) /dev/urandom > "$work/disk.img"
store="$work/data/images"
dotnet tools/Vm.ImageBuilder/bin/Release/net10.0/Vm.ImageBuilder.dll from-raw "$work/disk.img" --store "$store" 2>/dev/null >/dev/null
rm "$work/disk.img"
find "$store/chunks" -type f -regextype egrep -regex '.*/[0-9a-f]{64}' -printf '%f\n' > "$work/hashes"
first=$(head -1 "$work/hashes")

cat > "$work/random-chunk.lua" <<LUA
local hashes = {}
for line in io.lines("$work/hashes") do hashes[#hashes + 1] = line end
math.randomseed(os.time())
request = function() return wrk.format("GET", "/chunks/" .. hashes[math.random(#hashes)]) end
LUA

# The Debian root for the boot figures (built once, cached).
BOOT=${BOOT:-1}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}
cache_root="${WEBVM_CACHE:-$HOME/.cache/webvm}"
debian_store="$cache_root/images"
if [ "$BOOT" = 1 ]; then
    scripts/guest/build-guest-images.sh >/dev/null
    debian=$(scripts/guest/build-debian-root.sh)
fi

# The portal, as deployed: Release build, its own data folder, no demo seeding, quiet logs.
(cd "$work" && ASPNETCORE_URLS="http://127.0.0.1:$OURS_PORT" Platform__DataDirectory="$work/data" Platform__SeedDemo=false \
    Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production \
    exec dotnet "$repo/Platform.Web/bin/Release/net10.0/Platform.Web.dll" >"$work/portal.log" 2>&1) &
pids+=($!)

# nginx with the same headers, mapping /chunks/HASH to the sharded file chunks/ab/cd/HASH.
cat > "$work/nginx.conf" <<NGINX
daemon off;
user root;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$REF_PORT;
        location ~ "^/debian/chunks/(([0-9a-f]{2})([0-9a-f]{2})[0-9a-f]{60})\$" {
            root $debian_store/chunks;
            try_files /\$2/\$3/\$1 =404;
            default_type application/octet-stream;
        }
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

wait_for() {
    for _ in $(seq 1 120); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
        sleep 0.5
    done
    echo "bench disk: $1 never answered" >&2
    cat "$work/portal.log" >&2
    exit 1
}
wait_for "http://127.0.0.1:$OURS_PORT/chunks/$first"
wait_for "http://127.0.0.1:$REF_PORT/chunks/$first"

# wrk prints "Transfer/sec: 123.45MB"; in MB/s (2^20 bytes, as wrk counts).
throughput() {
    local port=$1
    wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$work/random-chunk.lua" "http://127.0.0.1:$port" >/dev/null  # warm-up
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$work/random-chunk.lua" "http://127.0.0.1:$port" > "$work/wrk-$port.txt"
    awk '/Transfer\/sec/ {
            v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[A-Za-z]+$/, "", v)
            f = (unit == "GB") ? 1024 : (unit == "MB") ? 1 : (unit == "KB") ? 1/1024 : 1/1048576
            printf "%.1f", v * f
         }' "$work/wrk-$port.txt"
}
ours=$(throughput "$OURS_PORT")
ref=$(throughput "$REF_PORT")
ratio=$(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
errors=$(grep -h -E "Non-2xx|Socket errors" "$work"/wrk-*.txt || true)
[ -n "$errors" ] && echo "bench disk: wrk reported: $errors" >&2

echo "BENCH name=chunk-throughput ours=$ours ref=$ref refname=nginx ratio=$ratio unit=MB/s chunks=$(wc -l < "$work/hashes") connections=$CONNECTIONS load=\"$(cut -d' ' -f1 /proc/loadavg)\""
[ "$BOOT" = 1 ] || exit 0

# One boot to bash's prompt; prints "SECONDS FETCHED-SHARE".
guest="$cache_root/guest"
boot() {
    local name=$1; shift
    echo "bench disk: boot ($name)" >&2
    rm -f "$work/overlay-$name"
    WEBVM_STATS=1 dotnet tools/Vm.Cli/bin/Release/net10.0/Vm.Cli.dll --kernel "$guest/bzImage" --initrd "$guest/initrd.gz" \
        --append "console=ttyS0 quiet cryptomgr.notests noisapnp root=/dev/vda" --memory 256M \
        --overlay "$work/overlay-$name" --until "@webvm:~#" --timeout "$BOOT_TIMEOUT" "$@" </dev/null >"$work/boot-$name.out" 2>"$work/boot-$name.err" || true
    local secs share
    secs=$(sed -n 's/.*saw ".*" after \([0-9.]*\) s.*/\1/p' "$work/boot-$name.err")
    share=$(sed -n 's/.*fetched-share \([0-9.]*\).*/\1/p' "$work/boot-$name.err")
    if [ -z "$secs" ]; then
        echo "bench disk: boot ($name) did not reach the prompt:" >&2
        tail -5 "$work/boot-$name.out" "$work/boot-$name.err" >&2
        secs=nan
    fi
    echo "bench disk: boot ($name): ${secs} s, fetched-share ${share:-n/a}" >&2
    echo "$secs ${share:-nan}"
}
manifest="$debian_store/manifests/$debian.json"
read -r cold share < <(boot cold --disk "$manifest" --chunks "http://127.0.0.1:$REF_PORT/debian/chunks/" --chunk-cache "$work/chunk-cache")
read -r warm _ < <(boot warm --disk "$manifest" --chunks "http://127.0.0.1:$REF_PORT/debian/chunks/" --chunk-cache "$work/chunk-cache")
read -r local_ _ < <(boot local --disk "$manifest")
r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
echo "BENCH name=fetched-share ours=$share ref=0.10 refname=goal ratio=$(r "$share" 0.10) unit=fraction image=$debian"
echo "BENCH name=boot-cold ours=$cold ref=$local_ refname=local-store ratio=$(r "$cold" "$local_") unit=s load=\"$(cut -d' ' -f1 /proc/loadavg)\""
echo "BENCH name=boot-warm ours=$warm ref=$local_ refname=local-store ratio=$(r "$warm" "$local_") unit=s"
