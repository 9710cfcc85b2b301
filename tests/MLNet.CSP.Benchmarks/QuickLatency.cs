using System.Diagnostics;
using MLNet.CSP.Backend;
using MLNet.CSP.Models;
using TorchSharp;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// A stopwatch run of every model (or the given ones): batch 8 at 224, 2 threads, median of N after warm-up.
/// Faster than BenchmarkDotNet for a first look; <c>dotnet run -c Release -- quick [--path NAME] [names]</c>, where
/// <c>--path</c> forces a <see cref="ConvolutionPath"/> (never force OneDnn on a machine whose cache topology is hidden).
/// </summary>
internal static class QuickLatency
{
    public static void Run(string[] args, int repeats = 5, int batch = 8, int size = 224)
    {
        torch.set_num_threads(2);
        Console.WriteLine(TorchBackend.Status.Describe());
        int pathIndex = Array.IndexOf(args, "--path");
        using var forced = pathIndex >= 0 ? TorchBackend.UsePath(Enum.Parse<ConvolutionPath>(args[pathIndex + 1])) : null;
        if (forced is not null) Console.WriteLine($"Forced path: {args[pathIndex + 1]}");
        var names = pathIndex >= 0 ? args.Where((_, i) => i != pathIndex && i != pathIndex + 1).ToArray() : args;
        Console.WriteLine($"| model | GMACs/img | ms per batch of {batch} (median of {repeats}) |");
        Console.WriteLine("|---|---|---|");
        foreach (var name in names.Length > 0 ? names : Backbones.Names)
        {
            using var model = Backbones.Create(name);
            model.OptimizeForInference();
            double gmacs = ModelComplexity.Measure(model, size, size).Macs / 1e9;
            using var input = torch.randn(batch, 3, size, size);
            var times = new List<double>();
            for (int i = 0; i < repeats + 1; i++)
            {
                using var noGrad = torch.no_grad();
                using var scope = torch.NewDisposeScope();
                var watch = Stopwatch.StartNew();
                model.forward(input);
                if (i > 0) times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"| {name} | {gmacs:F3} | {times[times.Count / 2]:F0} |");
        }
    }
}
