using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace MLNet.CSP.Benchmarks;

/// <summary>Few, long iterations: each forward takes hundreds of milliseconds and the machine has 2 cores.</summary>
public sealed class ShortRunConfig : ManualConfig
{
    public ShortRunConfig()
    {
        AddJob(Job.Default.WithWarmupCount(2).WithIterationCount(7).WithLaunchCount(1).WithInvocationCount(1).WithUnrollFactor(1));
    }
}
