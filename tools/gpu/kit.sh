#!/usr/bin/env bash
# The GPU kit, on the CPU machine (tools/gpu/README.md). Everything it makes goes to tools/gpu/.kit (git-ignored), which
# the device run carries.
#   tools/gpu/kit.sh source TORCHSHARP_GIT_DIR   TorchSharp's native sources at the commit of the managed TorchSharp we use
#   tools/gpu/kit.sh publish                     the check app, self-contained for linux-x64, packed (no libtorch inside)
#   tools/gpu/kit.sh rehearse                    tools/gpu/device.sh on this machine: the NuGet CPU libtorch, device cpu
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
kit="$root/tools/gpu/.kit"
# TorchSharp 0.107.0 (the managed package in Directory.Packages.props): the repository has no tag for it; this is the
# commit whose release notes close 0.107.0 ("Update release notes", 2026-05-07) and whose BranchInfo.props says 0.107.0.
commit=c20b6a1c
mkdir -p "$kit"

case "${1:-}" in
  source)
    git_dir="${2:?the TorchSharp git directory (a clone or a mirror)}"
    version=$(git --git-dir "$git_dir" show "$commit:build/BranchInfo.props" | tr -d ' \n' | sed 's/.*<MinorVersion>\([0-9]*\)<.*<PatchVersion>\([0-9]*\)<.*/0.\1.\2/')
    managed=$(sed -n 's/.*Include="TorchSharp" Version="\([^"]*\)".*/\1/p' "$root/Directory.Packages.props")
    [ "$version" = "$managed" ] || { echo "TorchSharp $managed is referenced but commit $commit is $version" >&2; exit 1; }
    rm -rf "$kit/LibTorchSharp-src"
    mkdir -p "$kit/LibTorchSharp-src"
    git --git-dir "$git_dir" archive "$commit" src/Native/Stdafx.h src/Native/UnixSal.h src/Native/LibTorchSharp LICENSE.txt \
      | tar -x -C "$kit/LibTorchSharp-src" --strip-components=0
    mv "$kit/LibTorchSharp-src/src/Native/"* "$kit/LibTorchSharp-src/" && rm -r "$kit/LibTorchSharp-src/src"
    echo "$commit (TorchSharp $version)" > "$kit/LibTorchSharp-src/COMMIT"
    echo "LibTorchSharp sources of TorchSharp $version ($commit): $(find "$kit/LibTorchSharp-src" -type f | wc -l) files, $(du -sh "$kit/LibTorchSharp-src" | cut -f1), MIT licence in LICENSE.txt"
    ;;
  publish)
    rm -rf "$kit/publish"
    dotnet publish "$root/tools/gpu/GpuCheck" -c Release -r linux-x64 --self-contained -o "$kit/publish" -p:DebugType=none -nologo -v q
    # TorchSharp's own libLibTorchSharp.so (built for libtorch 2.10) stays as a first try; device.sh replaces it when it does
    # not link against the device's libtorch.
    tar -C "$kit/publish" -cf - . | xz -T2 -6 > "$kit/gpucheck.tar.xz"
    echo "check app: $(du -sh "$kit/publish" | cut -f1) published, $(du -h "$kit/gpucheck.tar.xz" | cut -f1) packed"
    ;;
  rehearse)
    version=$(sed -n 's/.*Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*/\1/p' "$root/Directory.Packages.props")
    libtorch="${NUGET_PACKAGES:-$HOME/.nuget/packages}/libtorch-cpu-linux-x64/$version/runtimes/linux-x64/native"
    [ -d "$libtorch" ] || { echo "libtorch-cpu-linux-x64 $version is not restored: dotnet build MLNet.CSP.sln first" >&2; exit 1; }
    cd "$root"
    OUT="${OUT:-/tmp/gpu-kit-rehearsal}" TORCH_LIB="$libtorch" KIT_DEVICE=cpu KIT_SKIP_PEER=1 KIT_EPOCHS=1 \
      KIT_FOLDER="$root/tests/MLNet.CSP.Tests/TestData/fashion-mnist/test" KIT_SIZE=64 bash tools/gpu/device.sh all
    ;;
  *)
    sed -n '2,6p' "$0"
    exit 2
    ;;
esac
