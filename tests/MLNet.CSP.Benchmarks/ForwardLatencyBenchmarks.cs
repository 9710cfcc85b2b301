using BenchmarkDotNet.Attributes;
using MLNet.CSP.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Benchmarks;

/// <summary>Eval-mode forward latency, batch 8, 3x224x224, 2 torch threads (the anchors' setting).</summary>
[Config(typeof(ShortRunConfig))]
public class ForwardLatencyBenchmarks
{
    private Backbone model = null!;
    private Tensor input = null!;

    /// <summary>Registered backbone name.</summary>
    [ParamsSource(nameof(Names))]
    public string Model { get; set; } = "cspresnet50";

    /// <summary>Whether <see cref="Backbone.OptimizeForInference"/> (folded BatchNorm, channels-last) is used.</summary>
    [Params(false, true)]
    public bool Optimized { get; set; }

    /// <summary>Every registered model.</summary>
    public static IEnumerable<string> Names => Backbones.Names;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(2);
        torch.manual_seed(0);
        model = Backbones.Create(Model);
        if (Optimized) model.OptimizeForInference();
        else model.eval();
        input = torch.randn(8, 3, 224, 224);
    }

    [Benchmark]
    public void Forward()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        model.forward(input);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        model.Dispose();
        input.Dispose();
    }
}
