using System.Diagnostics;
using MLNet.CSP.Models;
using TorchSharp;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// Part 2 of the paper reproduction: CPU latency of each pair side by side (batch 8 at 224, 2 threads), the plain
/// eval forward and the inference fast path, timed in alternating rounds so machine drift hits both networks alike.
/// </summary>
internal static class PaperLatency
{
    public static void Run(int repeats = 3, int batch = 8)
    {
        torch.set_num_threads(2);
        Console.WriteLine($"| plain | CSP | eval ms (plain / CSP) | ratio | optimized ms (plain / CSP) | ratio | MACs ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        using var input = torch.randn(batch, 3, 224, 224);
        foreach (var (plain, csp, _) in PaperPairs.Pairs)
        {
            using var a = Backbones.Create(plain);
            using var b = Backbones.Create(csp);
            double macs = (double)ModelComplexity.Measure(b, 224, 224).Macs / ModelComplexity.Measure(a, 224, 224).Macs;
            a.eval();
            b.eval();
            var (evalA, evalB) = Alternate(a, b, input, repeats);
            a.OptimizeForInference();
            b.OptimizeForInference();
            var (fastA, fastB) = Alternate(a, b, input, repeats);
            Console.WriteLine($"| {plain} | {csp} | {evalA:F0} / {evalB:F0} | {evalB / evalA:F2} | {fastA:F0} / {fastB:F0} | {fastB / fastA:F2} | {macs:F2} |");
        }
    }

    /// <summary>
    /// Five rounds; in each, one warm-up and <paramref name="repeats"/> timed runs of A, then the same for B.
    /// Returns the medians over all rounds (runs of one model stay together so each sees its own warm allocator).
    /// </summary>
    private static (double A, double B) Alternate(Backbone a, Backbone b, torch.Tensor input, int repeats)
    {
        var timesA = new List<double>();
        var timesB = new List<double>();
        for (int round = 0; round < 5; round++)
        {
            Block(a, input, repeats, timesA);
            Block(b, input, repeats, timesB);
        }
        return (Median(timesA), Median(timesB));
    }

    private static void Block(Backbone model, torch.Tensor input, int repeats, List<double> times)
    {
        Time(model, input);
        for (int i = 0; i < repeats; i++) times.Add(Time(model, input));
    }

    private static double Time(Backbone model, torch.Tensor input)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var watch = Stopwatch.StartNew();
        model.forward(input);
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
