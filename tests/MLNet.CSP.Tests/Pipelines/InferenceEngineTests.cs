using MLNet.CSP.Models;
using MLNet.CSP.Pipelines;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Engines;
using MLNet.CSP.Pipelines.Featurizer;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>
/// The two inference engines: ONNX Runtime running the network's own export gives the TorchSharp network's outputs (every
/// registered model, the classifier), the engine is saved with the model, and the choice follows the device and the packages.
/// </summary>
[TestClass]
public sealed class InferenceEngineTests : TempDirectoryTest
{
    public static IEnumerable<object[]> Names => Backbones.Names.Select(n => new object[] { n });

    private static IDataView Images(MLContext ml, int count)
    {
        var data = ml.Data.LoadFromEnumerable(FashionMnist.Load("test").Where((_, i) => i % 7 == 0).Take(count));
        return ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
    }

    private static float[][] Vectors(IDataView data, string column) =>
        data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    private static double RelativeL2(float[][] expected, float[][] actual)
    {
        double diff = 0, norm = 0;
        for (int r = 0; r < expected.Length; r++)
            for (int i = 0; i < expected[r].Length; i++)
            {
                diff += Math.Pow(expected[r][i] - (double)actual[r][i], 2);
                norm += expected[r][i] * (double)expected[r][i];
            }
        return Math.Sqrt(diff / norm);
    }

    /// <summary>Largest difference relative to the largest magnitude of the TorchSharp output.</summary>
    private static double MaxRelativeDifference(float[][] expected, float[][] actual)
    {
        double scale = expected.SelectMany(v => v).Max(v => Math.Abs((double)v));
        double worst = 0;
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.HasCount(expected[r].Length, actual[r], $"row {r} length");
            for (int i = 0; i < expected[r].Length; i++) worst = Math.Max(worst, Math.Abs(expected[r][i] - (double)actual[r][i]) / scale);
        }
        return worst;
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void OnnxRuntimeGivesTheTorchSharpFeaturesOfEveryRegisteredModel(string architecture)
    {
        var ml = new MLContext(seed: 4);
        var images = Images(ml, 5);
        CspFeaturizerOptions Options(InferenceEngine engine) => new()
        {
            InputColumnName = "Image", OutputColumnName = "Features", Architecture = architecture, ImageSize = 64, CropFraction = 0.875,
            BatchSize = 3, TorchThreads = 2, InferenceEngine = engine,
        };
        // The same seed draws the same weights for both.
        using var torchSharp = new MLContext(seed: 9).Transforms.CspFeaturize(Options(InferenceEngine.TorchSharp)).Fit(images);
        using var onnxRuntime = new MLContext(seed: 9).Transforms.CspFeaturize(Options(InferenceEngine.OnnxRuntime)).Fit(images);
        Assert.AreEqual(InferenceEngine.TorchSharp, torchSharp.Engine);
        Assert.AreEqual(InferenceEngine.OnnxRuntime, onnxRuntime.Engine);
        var expected = Vectors(torchSharp.Transform(images), "Features");
        var actual = Vectors(onnxRuntime.Transform(images), "Features");
        Assert.IsGreaterThan(0.0, expected.SelectMany(v => v).Max(v => Math.Abs(v)), "Features that are all zero would prove nothing.");
        double difference = MaxRelativeDifference(expected, actual);
        double relativeL2 = RelativeL2(expected, actual);
        Console.WriteLine($"{architecture}: largest difference {difference:E1} of the largest feature, relative L2 {relativeL2:E1}");
        Assert.IsLessThan(1e-5, difference);
        Assert.IsLessThan(1e-5, relativeL2);

        // One row at a time (the PredictionEngine path) gives the batch's values.
        var engine = ml.Model.CreatePredictionEngine<ImageRow, FeatureRow>(ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(images).Append(onnxRuntime));
        var first = engine.Predict(FashionMnist.Load("test")[0]);
        Assert.IsLessThan(1e-5, MaxRelativeDifference([expected[0]], [first.Features]));
    }

    [TestMethod]
    public void TheClassifierScoresTheSameOnBothEnginesAndTheEngineIsSavedWithTheModel()
    {
        var probabilities = new Dictionary<InferenceEngine, float[][]>();
        foreach (var engine in new[] { InferenceEngine.TorchSharp, InferenceEngine.OnnxRuntime, InferenceEngine.Auto })
        {
            var ml = new MLContext(seed: 2);
            var data = ml.Data.LoadFromEnumerable(FashionMnist.Load("train").Where((_, i) => i % 10 == 0).Take(24));
            var prepare = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", null, "ImagePath")).Fit(data);
            var prepared = prepare.Transform(data);
            using var model = ml.MulticlassClassification.Trainers.CspImageClassification(new CspImageClassificationTrainer.Options
            {
                ImageSize = 32, Epochs = 1, BatchSize = 8, TorchThreads = 2, InferenceEngine = engine,
            }).Fit(prepared);
            var resolved = engine == InferenceEngine.Auto ? InferenceEngine.OnnxRuntime : engine; // the tests reference ONNX Runtime's native package
            Assert.AreEqual(resolved, model.Engine, $"{engine}");
            probabilities[engine] = Vectors(model.Transform(prepared), "Score");

            string path = Path.Combine(Folder, $"classifier-{engine}.zip");
            ml.Model.Save(model, prepared.Schema, path);
            var loaded = new MLContext().Model.Load(path, out _);
            var reloaded = CspModel.Find<CspImageClassificationTransformer>(loaded)!;
            Assert.AreEqual(resolved, reloaded.Engine, $"{engine} after Model.Load");
            var again = Vectors(loaded.Transform(prepared), "Score");
            for (int r = 0; r < again.Length; r++) CollectionAssert.AreEqual(probabilities[engine][r], again[r], $"{engine}: row {r} after reload");
            (loaded as IDisposable)?.Dispose();
        }
        // Same seed, same training (always TorchSharp): only the scoring engine differs.
        Assert.IsLessThan(1e-5, MaxRelativeDifference(probabilities[InferenceEngine.TorchSharp], probabilities[InferenceEngine.OnnxRuntime]));
        Assert.IsTrue(probabilities[InferenceEngine.TorchSharp].Zip(probabilities[InferenceEngine.OnnxRuntime])
            .All(p => Array.IndexOf(p.First, p.First.Max()) == Array.IndexOf(p.Second, p.Second.Max())), "Same predicted classes.");
    }

    [TestMethod]
    public void TheEngineFollowsTheDeviceAndThePackages()
    {
        var cpu = torch.CPU;
        var cuda = new torch.Device(DeviceType.CUDA, 0);
        const string missing = "Unable to load shared library 'onnxruntime'";
        Assert.AreEqual(InferenceEngine.OnnxRuntime, InferenceEngines.Resolve(InferenceEngine.Auto, cpu, null));
        Assert.AreEqual(InferenceEngine.TorchSharp, InferenceEngines.Resolve(InferenceEngine.Auto, cpu, missing), "Without the native package Auto stays on TorchSharp.");
        Assert.AreEqual(InferenceEngine.TorchSharp, InferenceEngines.Resolve(InferenceEngine.Auto, cuda, null), "On CUDA Auto stays on TorchSharp.");
        Assert.AreEqual(InferenceEngine.TorchSharp, InferenceEngines.Resolve(InferenceEngine.TorchSharp, cpu, null));

        var noPackage = Assert.ThrowsExactly<InvalidOperationException>(() => InferenceEngines.Resolve(InferenceEngine.OnnxRuntime, cpu, missing));
        StringAssert.Contains(noPackage.Message, "Microsoft.ML.OnnxRuntime");
        StringAssert.Contains(noPackage.Message, missing, "The loader's reason is kept.");
        var onCuda = Assert.ThrowsExactly<InvalidOperationException>(() => InferenceEngines.Resolve(InferenceEngine.OnnxRuntime, cuda, null));
        StringAssert.Contains(onCuda.Message, "cuda:0");
        Assert.IsTrue(InferenceEngines.OnnxRuntimeAvailable, "The test project references Microsoft.ML.OnnxRuntime.");

        // A model saved to score with ONNX Runtime still loads where it cannot (here: a CUDA device), on TorchSharp, with a warning.
        var ml = new MLContext();
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) warnings.Add(e.RawMessage); };
        Assert.AreEqual(InferenceEngine.TorchSharp, InferenceEngines.ForLoadedModel(ml, InferenceEngine.OnnxRuntime, cuda, "CspFeaturizerTransform"));
        Assert.IsTrue(warnings.Any(w => w.Contains("scores with TorchSharp here instead") && w.Contains("cuda:0")), string.Join("\n", warnings));
        Assert.AreEqual(InferenceEngine.OnnxRuntime, InferenceEngines.ForLoadedModel(ml, InferenceEngine.OnnxRuntime, cpu, "CspFeaturizerTransform"));
        Assert.AreEqual(InferenceEngine.Auto, InferenceEngines.ForLoadedModel(ml, InferenceEngine.Auto, cuda, "CspFeaturizerTransform"));

        var invalid = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().Transforms.CspFeaturize(new CspFeaturizerOptions
        {
            InputColumnName = "Image", InferenceEngine = (InferenceEngine)7,
        }));
        Assert.AreEqual("InferenceEngine", invalid.ParamName);
    }

    private sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
    }
}
