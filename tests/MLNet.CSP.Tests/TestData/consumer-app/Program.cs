// A fresh console app that uses MLNet.CSP only through its NuGet package (copied and run by PackageConsumerTests).
// Featurizer and trainer, each saved with mlContext.Model.Save and loaded back; prints "OK" when all agrees.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNet.CSP.Backend;
using MLNet.CSP.Pipelines;
using MLNet.CSP.Pipelines.Featurizer;
using MLNet.CSP.Pipelines.Classification;

var ml = new MLContext(seed: 1);
var random = new Random(1);
var rows = Enumerable.Range(0, 16).Select(i =>
{
    var pixels = new byte[32 * 32 * 4];
    random.NextBytes(pixels);
    for (int p = 3; p < pixels.Length; p += 4) pixels[p] = 255;
    if (i % 2 == 0) for (int p = 0; p < pixels.Length; p += 4) pixels[p] = 250; // class "red"
    return new Row { Image = MLImage.CreateFromPixels(32, 32, MLPixelFormat.Rgba32, pixels), Label = i % 2 == 0 ? "red" : "other" };
}).ToList();
var data = ml.Data.LoadFromEnumerable(rows);

var featurizer = ml.Transforms.CspFeaturize(new CspFeaturizerOptions
{
    OutputColumnName = "Features", InputColumnName = "Image", Architecture = "cs3darknet_s", ImageSize = 32, CropFraction = 1.0,
    TorchThreads = 2, // the thread count is set before anything else touches libtorch: an unloadable libtorch must be reported from there
}).Fit(data);
float[] Features(ITransformer model) => model.Transform(data).GetColumn<float[]>("Features").SelectMany(f => f).ToArray();
var before = Features(featurizer);
ml.Model.Save(featurizer, data.Schema, "featurizer.zip");
var after = Features(new MLContext().Model.Load("featurizer.zip", out _));
if (before.Length != 16 * 512 || !before.SequenceEqual(after)) throw new Exception("Featurizer round trip differs.");
// No Microsoft.ML.OnnxRuntime in this app: Auto scores on TorchSharp, and asking for ONNX Runtime says what to add.
Console.WriteLine($"Engine {featurizer.Engine}");
try
{
    ml.Transforms.CspFeaturize(new CspFeaturizerOptions { InputColumnName = "Image", ImageSize = 32, InferenceEngine = InferenceEngine.OnnxRuntime }).Fit(data);
    Console.WriteLine("OnnxRuntime without its package: accepted");
}
catch (InvalidOperationException e) when (e.Message.Contains("PackageReference to Microsoft.ML.OnnxRuntime"))
{
    Console.WriteLine("OnnxRuntime without its package: explained");
}

var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data);
var trainer = ml.MulticlassClassification.Trainers.CspImageClassification(new CspImageClassificationTrainer.Options
{
    Architecture = "cs3darknet_s", ImageSize = 32, Epochs = 2, BatchSize = 8,
});
var classifier = keys.Append(trainer.Fit(keys.Transform(data)));
float[] Scores(ITransformer model) => model.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
var scores = Scores(classifier);
ml.Model.Save(classifier, data.Schema, "classifier.zip");
var reloaded = Scores(new MLContext().Model.Load("classifier.zip", out _));
if (!scores.SequenceEqual(reloaded)) throw new Exception("Classifier round trip differs.");
Console.WriteLine(TorchBackend.Status.Describe());
Console.WriteLine($"OK {before.Length / 16} features, {scores.Length / 16} classes");

internal sealed class Row
{
    [ImageType(32, 32)]
    public MLImage? Image { get; set; }

    public string Label { get; set; } = "";
}
