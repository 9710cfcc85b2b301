using System.Diagnostics;
using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Featurizer;
using Microsoft.ML.Data;
using Microsoft.ML;
using TorchSharp;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// Featurize throughput through the ML.NET pipeline (decode + preprocess + forward + copy into rows) versus the raw
/// backbone forward on already preprocessed tensors, same batch size; <c>dotnet run -c Release -- featurize [arch]</c>.
/// </summary>
internal static class FeaturizeThroughput
{
    public static void Run(string architecture = "cs3darknet_s", int images = 256, int batch = 16, int size = 224)
    {
        torch.set_num_threads(2);
        string folder = SyntheticImages.Write(images, 256, 256);
        var ml = new MLContext(seed: 1);
        var rows = Directory.GetFiles(folder, "*.png").Order().Select(p => new PathRow { ImagePath = p }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ml.Transforms.CspFeaturize(new CspFeaturizerOptions
            {
                InputColumnName = "Image",
                OutputColumnName = "Features",
                Architecture = architecture,
                ImageSize = size,
                CropFraction = 1.0,
                BatchSize = batch,
            }));
        var model = pipeline.Fit(data);
        double Pipeline()
        {
            var watch = Stopwatch.StartNew();
            long n = model.Transform(data).GetColumn<VBuffer<float>>("Features").LongCount();
            return n / watch.Elapsed.TotalSeconds;
        }

        using var backbone = Backbones.Create(architecture, 0);
        backbone.OptimizeForInference();
        using var input = torch.randn(batch, 3, size, size);
        double Raw()
        {
            var watch = Stopwatch.StartNew();
            for (int done = 0; done < images; done += batch)
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                backbone.ForwardPooled(backbone.ForwardFeatures(input)).data<float>().ToArray();
            }
            return images / watch.Elapsed.TotalSeconds;
        }

        Pipeline(); Raw(); // warm-up
        var pipelineRates = Enumerable.Range(0, 3).Select(_ => Pipeline()).Order().ToList();
        var rawRates = Enumerable.Range(0, 3).Select(_ => Raw()).Order().ToList();
        Console.WriteLine($"| {architecture} | {size} | {batch} | {pipelineRates[1]:F1} | {rawRates[1]:F1} | {pipelineRates[1] / rawRates[1]:F2} |");
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }
}
