using System.Diagnostics;
using MLNet.CSP.Export.Onnx;
using MLNet.CSP.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;

/// <summary>
/// Median latency of one forward pass at 224x224, batch 1 and 8: the TorchSharp inference fast path versus ONNX Runtime (CPU,
/// same thread count) on the exported file, plus the file size. Random weights; outputs compared as a sanity check.
/// dotnet run -c Release --project tests/MLNet.CSP.Benchmarks.Onnx -- export [model ...]
/// </summary>
internal static class ExportLatency
{
    private static readonly string[] DefaultModels =
        ["cs3darknet_s", "cs3darknet_m", "cspresnet50", "cspresnext50", "cspdarknet53", "resnet50", "densenet121", "cspdensenet121"];

    public static int Run(string[] models)
    {
        if (models.Length == 0) models = DefaultModels;
        const int threads = 2;
        torch.set_num_threads(threads);
        torch.manual_seed(1);
        Console.WriteLine($"threads {threads}; median ms per forward (224x224); {Environment.ProcessorCount} logical CPUs");
        Console.WriteLine("| model | ONNX file MB | TorchSharp b1 | ORT b1 | TorchSharp b8 | ORT b8 | rel. L2 |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var name in models)
        {
            using var model = Backbones.Create(name);
            model.OptimizeForInference();
            string file = Path.Combine(Path.GetTempPath(), $"mlnet-csp-{name}.onnx");
            model.ExportOnnx(file, 224, 224);
            using var session = new InferenceSession(file, new SessionOptions
            {
                IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            });
            var cells = new List<string>();
            double error = 0;
            foreach (int batch in new[] { 1, 8 })
            {
                using var x = torch.randn(batch, 3, 224, 224);
                var values = x.data<float>().ToArray();
                var input = new DenseTensor<float>(values, [batch, 3, 224, 224]);
                float[] torchOut = [];
                float[] ortOut = [];
                double torchMs = Median(batch == 1 ? 15 : 5, () =>
                {
                    using var scope = torch.NewDisposeScope();
                    using var noGrad = torch.no_grad();
                    torchOut = model.forward(x).data<float>().ToArray();
                });
                double ortMs = Median(batch == 1 ? 15 : 5, () =>
                {
                    using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
                    ortOut = results.Single().AsEnumerable<float>().ToArray();
                });
                error = Math.Max(error, RelativeL2(ortOut, torchOut));
                cells.Add($"{torchMs:F1}");
                cells.Add($"{ortMs:F1}");
            }
            Console.WriteLine($"| {name} | {new FileInfo(file).Length / 1e6:F1} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} | {error:E1} |");
            File.Delete(file);
        }
        return 0;
    }

    private static double Median(int runs, Action run)
    {
        run();
        run();
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static double RelativeL2(float[] a, float[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++)
        {
            num += (a[i] - (double)b[i]) * (a[i] - (double)b[i]);
            den += (double)b[i] * b[i];
        }
        return Math.Sqrt(num / den);
    }
}
