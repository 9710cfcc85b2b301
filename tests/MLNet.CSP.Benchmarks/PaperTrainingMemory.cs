using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLNet.CSP.Models;
using TorchSharp;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// The paper's memory claim at full size: SGD-momentum training steps at batch 16, 224x224, 2 threads (the setting of
/// ../shared ANCHORS' PyTorch training table), one fresh child process per model; reports the median step time and
/// the peak resident memory of the steps above the memory held before the first step.
/// </summary>
internal static class PaperTrainingMemory
{
    private sealed record StepResult(string Model, double StepSeconds, long RssBefore, long PeakRss);

    public static void Run()
    {
        Console.WriteLine("| plain | CSP | step s (plain / CSP) | ratio | peak RSS GB (plain / CSP) | step memory GB (plain / CSP) | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var cache = new Dictionary<string, StepResult>();
        StepResult Get(string name) => cache.TryGetValue(name, out var r) ? r : cache[name] = RunChild(name);
        foreach (var (plain, csp, _) in PaperPairs.Pairs)
        {
            var a = Get(plain);
            var b = Get(csp);
            double ga = (a.PeakRss - a.RssBefore) / 1e9, gb = (b.PeakRss - b.RssBefore) / 1e9;
            Console.WriteLine($"| {plain} | {csp} | {a.StepSeconds:F2} / {b.StepSeconds:F2} | {b.StepSeconds / a.StepSeconds:F2} | "
                + $"{a.PeakRss / 1e9:F2} / {b.PeakRss / 1e9:F2} | {ga:F2} / {gb:F2} | {gb / ga:F2} |");
        }
    }

    /// <summary>The child side: six training steps (the first two warm up), then a RESULT line.</summary>
    public static void StepOne(string name, int batch = 16, int steps = 6, int warmup = 2)
    {
        torch.set_num_threads(2);
        torch.manual_seed(1);
        using var model = Backbones.Create(name);
        model.train();
        using var optimizer = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
        using var input = torch.randn(batch, 3, 224, 224);
        using var target = torch.randint(0, 1000, [batch], dtype: torch.ScalarType.Int64);
        GC.Collect();
        long before = ProcessMemory.ResidentBytes();
        ProcessMemory.ResetPeak();
        var times = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            var watch = Stopwatch.StartNew();
            using (var scope = torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = torch.nn.functional.cross_entropy(model.forward(input), target);
                loss.backward();
                optimizer.step();
            }
            if (i >= warmup) times.Add(watch.Elapsed.TotalSeconds);
        }
        times.Sort();
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new StepResult(name, times[times.Count / 2], before, ProcessMemory.PeakResidentBytes())));
    }

    private static StepResult RunChild(string name) =>
        ChildRun.Result<StepResult>("paper", "train-step", name);
}
