using BenchmarkDotNet.Running;
using MLNet.CSP.Benchmarks;

if (args.Length > 0 && args[0] == "quick")
{
    QuickLatency.Run(args.Skip(1).ToArray());
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(ForwardLatencyBenchmarks).Assembly).Run(args);
