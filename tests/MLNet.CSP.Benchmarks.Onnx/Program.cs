using System.Diagnostics;
using MLNet.CSP.Pipelines.Featurizer;
using Microsoft.ML.Data;
using Microsoft.ML;
using TorchSharp;

// Images/s of ML.NET's DnnFeaturizeImage (ResNet18, ONNX Runtime) and of CspFeaturize on the same PNGs at 224x224.
// dotnet run -c Release --project tests/MLNet.CSP.Benchmarks.Onnx -- [image-count]
// With "export" first: latency of exported ONNX models in ONNX Runtime versus the TorchSharp fast path (ExportLatency.cs).
if (args.Length > 0 && args[0] == "export") return ExportLatency.Run(args.Skip(1).ToArray());
// With "scoring" first: PredictionEngine and 64-row Transform through CspFeaturize on each engine versus ApplyOnnxModel (ScoringLatency.cs).
if (args.Length > 0 && args[0] == "scoring") return ScoringLatency.Run(args.Skip(1).ToArray());
int count = args.Length > 0 ? int.Parse(args[0]) : 128;
torch.set_num_threads(2);
string folder = Path.Combine(Path.GetTempPath(), $"mlnet-csp-onnx-bench-{count}");
Directory.CreateDirectory(folder);
var random = new Random(42);
var pixels = new byte[256 * 256 * 4];
for (int i = 0; i < count; i++)
{
    string file = Path.Combine(folder, $"{i:D4}.png");
    if (File.Exists(file)) continue;
    random.NextBytes(pixels);
    for (int p = 3; p < pixels.Length; p += 4) pixels[p] = 255;
    using var image = MLImage.CreateFromPixels(256, 256, MLPixelFormat.Rgba32, pixels);
    image.Save(file);
}
var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromEnumerable(Directory.GetFiles(folder, "*.png").Order().Take(count).Select(p => new Row { ImagePath = p }));

var dnn = ml.Transforms.LoadImages("Image", null, "ImagePath")
    .Append(ml.Transforms.ResizeImages("Image", 224, 224))
    .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
    .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));
var csp = ml.Transforms.LoadImages("Image", null, "ImagePath")
    .Append(ml.Transforms.CspFeaturize(new CspFeaturizerOptions
    {
        InputColumnName = "Image", OutputColumnName = "Features", Architecture = "cs3darknet_s", ImageSize = 224, CropFraction = 1.0,
    }));

foreach (var (name, pipeline) in new (string, IEstimator<ITransformer>)[] { ("DnnFeaturizeImage ResNet18", dnn), ("CspFeaturize cs3darknet_s", csp) })
{
    var model = pipeline.Fit(data);
    int length = 0;
    double Rate()
    {
        var watch = Stopwatch.StartNew();
        var rows = model.Transform(data).GetColumn<VBuffer<float>>("Features").ToList();
        length = rows[0].Length;
        return rows.Count / watch.Elapsed.TotalSeconds;
    }
    Rate();
    var rates = Enumerable.Range(0, 3).Select(_ => Rate()).Order().ToList();
    Console.WriteLine($"| {name} | {length} | {rates[1]:F1} |");
}
return 0;

internal sealed class Row
{
    public string ImagePath { get; set; } = "";
}
