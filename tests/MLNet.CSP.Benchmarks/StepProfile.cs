using System.Diagnostics;
using MLNet.CSP.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// <c>step-profile [MODEL] [SIZE] [BATCH]</c>: where a training step's time goes, on random tensors (no data path): forward,
/// forward + backward, + zero_grad, + the optimizer's step (AdamW, SGD), median and fastest ms of 25 after 3 warm-ups, 2 threads.
/// </summary>
internal static class StepProfile
{
    public static void Run(string model, int size, int batch)
    {
        torch.set_num_threads(2);
        torch.manual_seed(1);
        using var net = Backbones.Create(model, numClasses: 10);
        net.train();
        using var x = torch.randn(batch, 3, size, size);
        using var y = torch.randint(0, 10, [batch], dtype: ScalarType.Int64);
        var parameters = net.parameters().ToList();
        Console.WriteLine($"{model} {size}x{size} batch {batch}: {parameters.Count} parameter tensors, {parameters.Sum(p => p.numel()):N0} values");
        using var adamw = torch.optim.AdamW(parameters, 1e-3, weight_decay: 0.05);
        using var sgd = torch.optim.SGD(parameters, 1e-3, momentum: 0.9, weight_decay: 0.05);
        Report("forward", () => { using var s = NewDisposeScope(); nn.functional.cross_entropy(net.forward(x), y).item<float>(); });
        Report("forward+backward", () => { using var s = NewDisposeScope(); adamw.zero_grad(); nn.functional.cross_entropy(net.forward(x), y).backward(); });
        Report("zero_grad", () => adamw.zero_grad());
        Report("AdamW step", () => adamw.step());
        Report("SGD step", () => sgd.step());
        var preprocessing = new MLNet.CSP.Imaging.ImagePreprocessing(size, size, MLNet.CSP.Models.Interpolation.Bilinear, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        var layout = new MLNet.CSP.Pipelines.Classification.ClassificationLayout("Label", 10, preprocessing);
        var cached = Enumerable.Range(0, batch).Select(i => (torch.randint(0, 255, [3, size, size], dtype: ScalarType.Byte), (long)(i % 10))).ToList();
        Report("assemble a batch from the cache", () => { var (images, targets) = layout.Assemble(cached, new Random(1)); images.Dispose(); targets.Dispose(); });
        Console.WriteLine($"  backend path: {MLNet.CSP.Backend.TorchBackend.Status.Path}");
        using var xl = MLNet.CSP.Models.Layers.MemoryLayout.ToChannelsLast(x);
        if (Environment.GetEnvironmentVariable("STEP_PROFILE_ONEDNN") == "1")
            using (MLNet.CSP.Backend.TorchBackend.UsePath(MLNet.CSP.Backend.ConvolutionPath.OneDnn))
                Report("forward+backward, NCHW input, OneDnn path forced", () => { using var s = NewDisposeScope(); adamw.zero_grad(); nn.functional.cross_entropy(net.forward(x), y).backward(); });
        for (int round = 0; round < 2; round++)
        {
            Report("forward+backward, NCHW input", () => { using var s = NewDisposeScope(); adamw.zero_grad(); nn.functional.cross_entropy(net.forward(x), y).backward(); });
            Report("forward+backward, channels-last input", () => { using var s = NewDisposeScope(); adamw.zero_grad(); nn.functional.cross_entropy(net.forward(xl), y).backward(); });
        }
        Report("full step AdamW", () =>
        {
            using var s = NewDisposeScope();
            var loss = nn.functional.cross_entropy(net.forward(x), y);
            loss.item<float>();
            adamw.zero_grad();
            loss.backward();
            adamw.step();
        });
        using var flat = new MLNet.CSP.Pipelines.Training.FlatOptimizer(parameters, MLNet.CSP.Pipelines.Training.CspOptimizer.AdamW, 1e-3, 0.05);
        Report("flat AdamW step", () => flat.Step());
        Report("flat zero_grad", () => flat.ZeroGrad());
        Report("full step flat AdamW", () =>
        {
            using var s = NewDisposeScope();
            var loss = nn.functional.cross_entropy(net.forward(x), y);
            loss.item<float>();
            flat.ZeroGrad();
            loss.backward();
            flat.Step();
        });
    }

    /// <summary>
    /// <c>peer-weights OUT.pth [MODEL]</c>: a seeded network's (cs3darknet_s or cspresnet50, 10 classes) state dict with an input
    /// and the library's eval logits, for <c>peer/pytorch_peer.py check</c> (the PyTorch peer must load it strictly and give
    /// the same logits).
    /// </summary>
    public static void WritePeerCheck(string path, string model = "cs3darknet_s")
    {
        torch.manual_seed(7);
        using var net = Backbones.Create(model, numClasses: 10);
        net.eval();
        using var noGrad = torch.no_grad();
        // The reference initialisation zeroes each block's last norm: random norms give logits worth comparing.
        foreach (var (key, value) in net.state_dict())
        {
            if (key.EndsWith("bn.weight", StringComparison.Ordinal) || key.EndsWith("running_var", StringComparison.Ordinal)) value.uniform_(0.5, 1.5);
            else if (key.EndsWith("bn.bias", StringComparison.Ordinal) || key.EndsWith("running_mean", StringComparison.Ordinal)) value.normal_(0, 0.1);
        }
        var state = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var input = torch.randn(2, 3, 64, 64);
        state["input"] = input;
        state["logits"] = net.forward(input);
        MLNet.CSP.Weights.Checkpoint.Save(state, path);
        Console.WriteLine($"Wrote {state.Count - 2} weights, an input and the logits to {path}.");
    }

    private static void Report(string what, Action action)
    {
        for (int i = 0; i < 3; i++) action();
        var times = new List<double>();
        for (int i = 0; i < 25; i++)
        {
            var w = Stopwatch.StartNew();
            action();
            times.Add(w.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"  {what}: median {times[12]:F1} ms, fastest {times[0]:F1} ms");
    }
}
