using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// Few, long iterations (a forward takes hundreds of milliseconds on 2 cores), run in-process so the benchmark
/// uses this project's build output (whose libLibTorchSharp.so the build has patched for Debian 12).
/// </summary>
public sealed class ShortRunConfig : ManualConfig
{
    public ShortRunConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(2).WithIterationCount(7).WithLaunchCount(1)
            .WithInvocationCount(1).WithUnrollFactor(1));
    }
}
