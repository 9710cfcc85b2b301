// Usage: dotnet run -c Release --project tools/make-compat-models -- OUT_DIR
// Writes a featurizer, a classifier and a detector model zip, the images they score and what they scored (expected.json),
// all small, so tests of later versions can load the files and compare. Everything is seeded and runs on the CPU.
using System.Reflection;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Detection;
using MLNet.CSP.Pipelines.Featurizer;
using SkiaSharp;

string output = Path.GetFullPath(args.Length > 0 ? args[0] : "compat-models");
Directory.CreateDirectory(output);
string version = typeof(CspImageClassificationTrainer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

// Images: 12 small PNGs, two classes ("light": a bright square on dark noise, "dark": a dark square on bright noise), with
// the square as the one box of each image.
var random = new Random(7);
var rows = new List<Row>();
for (int i = 0; i < 12; i++)
{
    bool light = i % 2 == 0;
    int width = 48 + 8 * (i % 3), height = 40 + 8 * (i % 2);
    using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            byte v = (byte)(light ? random.Next(0, 60) : random.Next(190, 255));
            bitmap.SetPixel(x, y, new SKColor(v, v, v));
        }
    int side = 16 + random.Next(8), x0 = random.Next(0, width - side), y0 = random.Next(0, height - side);
    for (int y = y0; y < y0 + side; y++)
        for (int x = x0; x < x0 + side; x++)
            bitmap.SetPixel(x, y, light ? new SKColor(240, 200, 40) : new SKColor(30, 40, 160));
    string file = $"image{i:D2}.png";
    using (var data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100))
        File.WriteAllBytes(Path.Combine(output, file), data.ToArray());
    rows.Add(new Row { ImagePath = Path.Combine(output, file), Label = light ? "light" : "dark", Boxes = [x0, y0, x0 + side, y0 + side], BoxLabels = [light ? "light" : "dark"] });
}

var ml = new MLContext(seed: 1);
var view = ml.Data.LoadFromEnumerable(rows);
var loaded = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(view).Transform(view);
var expected = new Dictionary<string, object> { ["version"] = version, ["images"] = rows.Select(r => Path.GetFileName(r.ImagePath)).ToArray() };

// Featurizer: random weights from the context's seed (the file holds them).
var featurizer = ml.Transforms.CspFeaturize(new CspFeaturizerOptions { Architecture = "cspdensenet121_s", ImageSize = 32, OutputColumnName = "Features", InputColumnName = "Image" }).Fit(loaded);
ml.Model.Save(featurizer, loaded.Schema, Path.Combine(output, "featurizer.zip"));
expected["featurizer"] = featurizer.Transform(loaded).GetColumn<float[]>("Features").ToArray();

// Classifier: one short fit.
var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(loaded).Transform(loaded);
var classifier = ml.MulticlassClassification.Trainers.CspImageClassification(new CspImageClassificationTrainer.Options
{
    Architecture = "cspdensenet121_s", ImageSize = 32, Epochs = 2, BatchSize = 4, TorchThreads = 2,
}).Fit(keyed);
ml.Model.Save(classifier, keyed.Schema, Path.Combine(output, "classifier.zip"));
expected["classifier"] = classifier.Transform(keyed).GetColumn<float[]>("Score").ToArray();

// Detector: one short fit, every detection down to score 0.001 kept so there is something to compare.
var boxed = ml.Transforms.Conversion.MapValueToKey("BoxLabel", "BoxLabels").Fit(loaded).Transform(loaded);
var detector = ml.MulticlassClassification.Trainers.CspObjectDetection(new CspObjectDetectionTrainer.Options
{
    Architecture = "cspdensenet121_s", ImageSize = 64, Epochs = 2, BatchSize = 4, TorchThreads = 2, ScoreThreshold = 0.001f, MaxDetections = 5,
    LabelColumnName = "BoxLabel", BoundingBoxColumnName = "Boxes",
}).Fit(boxed);
ml.Model.Save(detector, boxed.Schema, Path.Combine(output, "detector.zip"));
var detected = detector.Transform(boxed);
expected["detectorBoxes"] = detected.GetColumn<float[]>("PredictedBoundingBoxes").ToArray();
expected["detectorScores"] = detected.GetColumn<float[]>("Score").ToArray();
expected["detectorLabels"] = detected.GetColumn<uint[]>("PredictedLabel").ToArray();

File.WriteAllText(Path.Combine(output, "expected.json"), JsonSerializer.Serialize(expected, new JsonSerializerOptions { WriteIndented = false }));
Console.WriteLine($"Wrote the {version} compatibility models to {output}");

internal sealed class Row
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
    public float[] Boxes { get; set; } = [];
    public string[] BoxLabels { get; set; } = [];
}
