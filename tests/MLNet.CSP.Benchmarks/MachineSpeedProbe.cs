using System.Diagnostics;
using MLNet.CSP.Models;
using TorchSharp;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// A few seconds of fixed work that says how fast this machine is right now: training steps of cs3darknet_s on a random
/// batch of 64 images at 32 px (the search's default network and size), 2 torch threads. This machine kind's speed changed
/// by 2x within an hour, so a run's result is recorded with the probe taken before and after it.
/// </summary>
internal static class MachineSpeedProbe
{
    /// <summary>Median seconds per training step over <paramref name="steps"/> steps, after two that warm up.</summary>
    public static double SecondsPerStep(int steps = 9)
    {
        torch.set_num_threads(2);
        torch.manual_seed(1);
        using var model = Backbones.Create("cs3darknet_s", numClasses: 10);
        model.train();
        using var optimizer = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
        using var input = torch.randn(64, 3, 32, 32);
        using var target = torch.randint(0, 10, [64], dtype: torch.ScalarType.Int64);
        var times = new List<double>();
        for (int i = 0; i < steps + 2; i++)
        {
            var watch = Stopwatch.StartNew();
            using (var scope = torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                torch.nn.functional.cross_entropy(model.forward(input), target).backward();
                optimizer.step();
            }
            if (i >= 2) times.Add(watch.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
