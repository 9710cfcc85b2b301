using System.Diagnostics;
using MLNet.CSP.Pipelines;
using MLNet.CSP.Pipelines.Featurizer;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using SkiaSharp;
using TorchSharp;

/// <summary>
/// Scoring through the ML.NET components a user calls, side by side in one process: <c>LoadImages -> CspFeaturize</c> with each
/// inference engine, against ONNX Runtime running the featurizer's own export through ML.NET
/// (<c>LoadImages -> ResizeImages -> ExtractPixels -> ApplyOnnxModel</c>) on the same 320x240 JPEGs, 2 threads each.
/// Reports the median of one-image <c>PredictionEngine</c> latency and of a 64-row <c>Transform</c>, engines interleaved.
/// dotnet run -c Release --project tests/MLNet.CSP.Benchmarks.Onnx -- scoring [model ...]
/// </summary>
internal static class ScoringLatency
{
    private const int Threads = 2;
    private const int Rows = 64;

    public static int Run(string[] models)
    {
        if (models.Length == 0) models = ["cs3darknet_s", "cspresnet50"];
        torch.set_num_threads(Threads);
        string folder = WriteJpegs(Rows);
        var ml = new MLContext(seed: 1);
        var files = Directory.GetFiles(folder, "*.jpg").Order().ToArray();
        var data = ml.Data.LoadFromEnumerable(files.Select(p => new PathRow { ImagePath = p }));
        Console.WriteLine($"{Environment.ProcessorCount} logical CPUs, {Threads} threads; {Rows} JPEGs 320x240; median ms");
        Console.WriteLine("| model | path | PredictionEngine 1 image | Transform 64 rows | ratio to ONNX Runtime (1 image / 64 rows) |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        foreach (var model in models)
        {
            var paths = new List<(string Name, ITransformer Model, string Output)>();
            foreach (var engine in new[] { InferenceEngine.TorchSharp, InferenceEngine.OnnxRuntime })
            {
                var csp = ml.Transforms.LoadImages("Image", null, "ImagePath")
                    .Append(ml.Transforms.CspFeaturize(new CspFeaturizerOptions
                    {
                        InputColumnName = "Image", OutputColumnName = "Features", Architecture = model, TorchThreads = Threads, InferenceEngine = engine,
                    }));
                paths.Add(($"CspFeaturize ({engine})", csp.Fit(data), "Features"));
            }
            var featurizer = CspModel.Find<CspFeaturizerTransformer>(paths[0].Model)!;
            string onnx = Path.Combine(Path.GetTempPath(), $"mlnet-csp-scoring-{model}.onnx");
            var info = featurizer.ExportOnnx(onnx);
            var peer = ml.Transforms.LoadImages("Image", null, "ImagePath")
                .Append(info.CreateImagePipeline(ml, "Image"))
                .Append(ml.Transforms.ApplyOnnxModel(new OnnxOptions
                {
                    ModelFile = onnx, InputColumns = [info.InputName], OutputColumns = [info.OutputName], IntraOpNumThreads = Threads, InterOpNumThreads = 1,
                }));
            paths.Add(("ONNX Runtime (ApplyOnnxModel)", peer.Fit(data), info.OutputName));

            var single = paths.Select(p => new List<double>()).ToList();
            var batch = paths.Select(p => new List<double>()).ToList();
            var engines = paths.Select(p => ml.Model.CreatePredictionEngine<PathRow, FeatureRow>(p.Model, ignoreMissingColumns: true,
                outputSchemaDefinition: OutputSchema(p.Output))).ToList();
            for (int round = 0; round < 7; round++)
            {
                for (int i = 0; i < paths.Count; i++)
                {
                    for (int k = 0; k < 8; k++)
                    {
                        var row = new PathRow { ImagePath = files[(round * 8 + k) % files.Length] };
                        var watch = Stopwatch.StartNew();
                        engines[i].Predict(row);
                        if (round > 0) single[i].Add(watch.Elapsed.TotalMilliseconds);
                    }
                    var w = Stopwatch.StartNew();
                    int count = paths[i].Model.Transform(data).GetColumn<VBuffer<float>>(paths[i].Output).Count();
                    if (count != Rows) throw new InvalidOperationException($"{count} rows");
                    if (round > 0) batch[i].Add(w.Elapsed.TotalMilliseconds);
                }
            }
            double peerSingle = Median(single[^1]), peerBatch = Median(batch[^1]);
            for (int i = 0; i < paths.Count; i++)
                Console.WriteLine($"| {model} | {paths[i].Name} | {Median(single[i]):F1} | {Median(batch[i]):F0} | {Median(single[i]) / peerSingle:F2} / {Median(batch[i]) / peerBatch:F2} |");
            foreach (var p in paths) (p.Model as IDisposable)?.Dispose();
            File.Delete(onnx);
        }
        return 0;
    }

    private static SchemaDefinition OutputSchema(string column)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnName = column;
        return schema;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>Smooth random 320x240 scenes (gradients and ellipses), JPEG quality 90, written once.</summary>
    private static string WriteJpegs(int count)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"mlnet-csp-scoring-jpegs-{count}");
        Directory.CreateDirectory(folder);
        var random = new Random(7);
        for (int i = 0; i < count; i++)
        {
            string file = Path.Combine(folder, $"{i:D3}.jpg");
            if (File.Exists(file)) continue;
            using var bitmap = new SKBitmap(320, 240);
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
                using var paint = new SKPaint { IsAntialias = true };
                for (int e = 0; e < 12; e++)
                {
                    paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                    canvas.DrawOval(random.Next(320), random.Next(240), 10 + random.Next(80), 10 + random.Next(60), paint);
                }
            }
            using var encoded = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(file, encoded.ToArray());
        }
        return folder;
    }

    internal sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    internal sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
    }
}
