#!/usr/bin/env bash
# The lab display's per-frame host cost (see bench/display/DisplayBench/Program.cs): FrameTracker's
# band compare against converting the whole frame every frame, measured in the same run, in CPU
# time (steadier than wall clock on a shared machine). CoreCLR; the browser runs the same code on
# .NET's WebAssembly interpreter, where both sides are slower by a similar factor.
#   bench/run.sh display
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "[bench] building the display bench (Release)" >&2
dotnet build bench/display/DisplayBench -c Release -v q -nologo >/dev/null
echo "[bench] 1024x768x32, 400 frames per figure" >&2
dotnet bench/display/DisplayBench/bin/Release/net10.0/DisplayBench.dll
