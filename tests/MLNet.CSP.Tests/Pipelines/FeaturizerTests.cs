using System.Diagnostics;
using System.IO.Compression;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Featurizer;
using MLNet.CSP.Weights;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.ML;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>The featurizer as a first-party ML.NET transform: schema, streaming, persistence, errors.</summary>
[TestClass]
public sealed class FeaturizerTests : TempDirectoryTest
{
    private const string Architecture = "cs3darknet_s";
    private static CspFeaturizerOptions SmallOptions(int batchSize = 8) => new()
    {
        OutputColumnName = "Features",
        InputColumnName = "Image",
        Architecture = Architecture,
        ImageSize = 32,
        CropFraction = 1.0,
        BatchSize = batchSize,
    };

    private static IDataView LoadImages(MLContext ml, IEnumerable<ImageRow> rows)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
    }

    private static float[][] Features(IDataView data, string column = "Features") =>
        data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    [TestMethod]
    public void PredictedSchemaEqualsActualSchema()
    {
        var ml = new MLContext(seed: 1);
        var images = LoadImages(ml, FashionMnist.Load("test").Take(5));
        var estimator = ml.Transforms.CspFeaturize(SmallOptions());

        var predicted = estimator.GetOutputSchema(SchemaShapes.From(images.Schema));
        using var transformer = estimator.Fit(images);
        var actual = transformer.Transform(images).Schema;

        var column = predicted.Single(c => c.Name == "Features");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, column.Kind);
        Assert.AreEqual(NumberDataViewType.Single, column.ItemType);
        var features = actual["Features"];
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, transformer.NumFeatures), features.Type);
        Assert.AreEqual(512, transformer.NumFeatures);
        CollectionAssert.AreEqual(predicted.Select(c => c.Name).OrderBy(n => n).ToList(), actual.Where(c => !c.IsHidden).Select(c => c.Name).OrderBy(n => n).ToList());
        Assert.AreEqual(actual.Count, transformer.GetOutputSchema(images.Schema).Count);
        Assert.IsInstanceOfType<ImageDataViewType>(actual["Image"].Type, "Input columns pass through.");
    }

    [TestMethod]
    public void WrongColumnTypeFailsWithMLNetStyleMessage()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(FashionMnist.Load("test").Take(2));
        var estimator = ml.Transforms.CspFeaturize("Features", "ImagePath", Architecture);
        var onFit = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.StartsWith(onFit.Message, "Schema mismatch for input column 'ImagePath': expected Image");
        StringAssert.Contains(onFit.Message, "got String");
        var onShape = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(SchemaShapes.From(data.Schema)));
        StringAssert.Contains(onShape.Message, "Schema mismatch for input column 'ImagePath'");

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.CspFeaturize("Features", "Photo", Architecture).Fit(data));
        StringAssert.Contains(missing.Message, "Could not find input column 'Photo'");
    }

    [TestMethod]
    public void InvalidOptionsFailEarly()
    {
        var ml = new MLContext();
        Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.CspFeaturize("F", "Image", "no_such_net"));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.CspFeaturize(new CspFeaturizerOptions { InputColumnName = "Image", BatchSize = 0 }));
        Assert.ThrowsExactly<FileNotFoundException>(() => ml.Transforms.CspFeaturize("F", "Image", Architecture, Path.Combine(Folder, "missing.safetensors")));
        var images = LoadImages(ml, FashionMnist.Load("test").Take(1));
        var device = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.CspFeaturize(new CspFeaturizerOptions { InputColumnName = "Image", Architecture = Architecture, Device = "tpu" }).Fit(images));
        StringAssert.Contains(device.Message, "tpu");
    }

    [TestMethod]
    public void BatchesKeepEveryColumnAlignedWithItsRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = FashionMnist.Load("test").Where((_, i) => i % 2 == 0).Take(37).ToList(); // 37: not a multiple of the batch
        var images = LoadImages(ml, rows);
        using var transformer = ml.Transforms.CspFeaturize(SmallOptions(batchSize: 8)).Fit(images);
        var output = transformer.Transform(images);

        var paths = output.GetColumn<string>("ImagePath").ToArray();
        var labels = output.GetColumn<string>("Label").ToArray();
        var features = Features(output);
        CollectionAssert.AreEqual(rows.Select(r => r.ImagePath).ToArray(), paths);
        CollectionAssert.AreEqual(rows.Select(r => r.Label).ToArray(), labels);

        // Each row's features equal those of its own image featurized alone.
        var engine = ml.Model.CreatePredictionEngine<ImageRowWithImage, FeaturesRow>(transformer);
        for (int i = 0; i < rows.Count; i += 6)
        {
            using var image = MLImage.CreateFromFile(rows[i].ImagePath);
            var alone = engine.Predict(new ImageRowWithImage { Image = image }).Features;
            AssertClose(alone, features[i], $"row {i}");
        }
        Assert.IsFalse(features[0].SequenceEqual(features[1]), "Different images give different features.");
    }

    [TestMethod]
    public void EncodedBytesGiveTheSameFeaturesAsDecodedImages()
    {
        var ml = new MLContext(seed: 1);
        var rows = FashionMnist.Load("test").Take(10).ToList();
        var images = LoadImages(ml, rows);
        var bytes = ml.Transforms.LoadRawImageBytes("Image", null, "ImagePath").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        Assert.IsInstanceOfType<VectorDataViewType>(bytes.Schema["Image"].Type);

        using var fromImages = ml.Transforms.CspFeaturize(SmallOptions()).Fit(images);
        var expected = Features(fromImages.Transform(images));
        var actual = Features(fromImages.Transform(bytes));
        for (int i = 0; i < rows.Count; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");
    }

    [TestMethod]
    public void UndecodableImageNamesColumnAndRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = FashionMnist.Load("test").Take(5).ToList();
        string corrupt = Path.Combine(Folder, "corrupt.png");
        File.WriteAllBytes(corrupt, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        rows[3] = new ImageRow { ImagePath = corrupt, Label = "x" };
        var data = ml.Data.LoadFromEnumerable(rows);
        var bytes = ml.Transforms.LoadRawImageBytes("Image", null, "ImagePath").Fit(data).Transform(data);
        using var transformer = ml.Transforms.CspFeaturize(SmallOptions()).Fit(bytes);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Features(transformer.Transform(bytes)));
        StringAssert.Contains(e.Message, "column 'Image'");
        StringAssert.Contains(e.Message, "row 3");
    }

    [TestMethod]
    public void SavedModelReloadsBitIdenticalInThisAndAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var rows = FashionMnist.Load("test").Take(12).ToList();
        var images = LoadImages(ml, rows);
        var pipeline = ml.Transforms.CspFeaturize(SmallOptions(batchSize: 5));
        var model = pipeline.Fit(images);
        var expected = Features(model.Transform(images));
        string path = Path.Combine(Folder, "featurizer.zip");
        ml.Model.Save(model, images.Schema, path);

        var loaded = new MLContext(seed: 7).Model.Load(path, out var schema);
        Assert.IsNotNull(schema.GetColumnOrNull("ImagePath"), "The saved input schema keeps the serializable input columns.");
        var reloaded = Features(loaded.Transform(images));
        for (int i = 0; i < rows.Count; i++) CollectionAssert.AreEqual(expected[i], reloaded[i], $"row {i} in process");

        // A fresh process that makes no MLNet.CSP call before loading.
        string list = Path.Combine(Folder, "images.txt");
        File.WriteAllLines(list, rows.Select(r => r.ImagePath));
        string output = Path.Combine(Folder, "probe.bin");
        RunProbe(path, list, "Features", output);
        var floats = ReadFloats(output);
        Assert.HasCount(rows.Count * 512, floats);
        for (int i = 0; i < rows.Count; i++)
            CollectionAssert.AreEqual(expected[i], floats.Skip(i * 512).Take(512).ToArray(), $"row {i} in a fresh process");
    }

    [TestMethod]
    public void TruncatedWeightsInTheModelFileFailClearly()
    {
        var ml = new MLContext(seed: 1);
        var images = LoadImages(ml, FashionMnist.Load("test").Take(2));
        var model = ml.Transforms.CspFeaturize(SmallOptions()).Fit(images);
        string path = Path.Combine(Folder, "model.zip");
        ml.Model.Save(model, images.Schema, path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("Weights.safetensors", StringComparison.Ordinal));
            byte[] content;
            using (var s = entry.Open()) { using var m = new MemoryStream(); s.CopyTo(m); content = m.ToArray(); }
            string name = entry.FullName;
            entry.Delete();
            using var w = zip.CreateEntry(name).Open();
            w.Write(content, 0, content.Length / 2);
        }
        var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(path, out _));
        var all = Flatten(e);
        Assert.IsTrue(all.Any(x => x is InvalidDataException && x.Message.Contains("truncated", StringComparison.Ordinal)), string.Join(" | ", all.Select(x => x.Message)));
    }

    [TestMethod]
    public void CheckpointOfAnotherArchitectureListsTheKeys()
    {
        string weights = Path.Combine(Folder, "resnet.safetensors");
        using (var other = Backbones.Create("cspresnet50")) Checkpoint.Save(other, weights);
        var ml = new MLContext(seed: 1);
        var images = LoadImages(ml, FashionMnist.Load("test").Take(1));
        var options = SmallOptions();
        options.WeightsPath = weights;
        var e = Assert.ThrowsExactly<CheckpointMismatchException>(() => ml.Transforms.CspFeaturize(options).Fit(images));
        StringAssert.Contains(e.Message, "cs3darknet_s");
        Assert.IsNotEmpty(e.Missing);
        Assert.IsNotEmpty(e.Unexpected);
    }

    [TestMethod]
    public void PublishedStyleCheckpointIsUsedAndItsClassifierIgnored()
    {
        string weights = Path.Combine(Folder, "imagenet.safetensors");
        using (var imagenet = Backbones.Create(Architecture, 1000))
        {
            Tests.Models.GoldenFill.Apply(imagenet);
            Checkpoint.Save(imagenet, weights);
        }
        var ml = new MLContext(seed: 1);
        var images = LoadImages(ml, FashionMnist.Load("test").Take(4));
        var options = SmallOptions();
        options.WeightsPath = weights;
        using var a = ml.Transforms.CspFeaturize(options).Fit(images);
        using var b = new MLContext(seed: 99).Transforms.CspFeaturize(options).Fit(images);
        CollectionAssert.AreEqual(Features(a.Transform(images))[2], Features(b.Transform(images))[2], "Loaded weights, not the seed, decide the features.");
    }

    [TestMethod]
    public void SameSeedSameFeaturesOtherSeedOtherFeatures()
    {
        var rows = FashionMnist.Load("test").Take(3).ToList();
        float[] Run(int seed)
        {
            var ml = new MLContext(seed: seed);
            var images = LoadImages(ml, rows);
            using var t = ml.Transforms.CspFeaturize(SmallOptions()).Fit(images);
            return Features(t.Transform(images))[1];
        }
        CollectionAssert.AreEqual(Run(3), Run(3));
        CollectionAssert.AreNotEqual(Run(3), Run(4));
    }

    [TestMethod]
    public void PredictionEnginesOnSeveralThreadsAgree()
    {
        var ml = new MLContext(seed: 1);
        var rows = FashionMnist.Load("test").Take(16).ToList();
        using var transformer = ml.Transforms.CspFeaturize(SmallOptions()).Fit(LoadImages(ml, rows.Take(1)));
        var single = ml.Model.CreatePredictionEngine<ImageRowWithImage, FeaturesRow>(transformer);
        var expected = rows.Select(r => { using var img = MLImage.CreateFromFile(r.ImagePath); return single.Predict(new ImageRowWithImage { Image = img }).Features; }).ToList();
        var results = new float[rows.Count][];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var engine = ml.Model.CreatePredictionEngine<ImageRowWithImage, FeaturesRow>(transformer);
            for (int i = worker; i < rows.Count; i += 4)
            {
                using var img = MLImage.CreateFromFile(rows[i].ImagePath);
                results[i] = engine.Predict(new ImageRowWithImage { Image = img }).Features;
            }
        });
        for (int i = 0; i < rows.Count; i++) CollectionAssert.AreEqual(expected[i], results[i], $"row {i}");
    }

    [TestMethod]
    public void FeaturesTrainAClassifierWellAboveChance()
    {
        var ml = new MLContext(seed: 1);
        var train = LoadImages(ml, FashionMnist.Load("train"));
        var test = LoadImages(ml, FashionMnist.Load("test"));
        var pipeline = ml.Transforms.CspFeaturize(SmallOptions(batchSize: 32))
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
        var model = pipeline.Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Console.WriteLine($"Fashion-MNIST subset (2,000 train / 500 test), random-init {Architecture} features: accuracy {metrics.MicroAccuracy:P1}");
        Assert.IsGreaterThan(0.5, metrics.MicroAccuracy, "Ten classes: chance is 10%.");
    }

    [TestMethod]
    public void MemoryStaysFlatOverTenThousandRows()
    {
        var ml = new MLContext(seed: 1);
        var encoded = FashionMnist.Load("test").Select(r => File.ReadAllBytes(r.ImagePath)).ToArray();
        var rows = Enumerable.Range(0, 10_000).Select(i => new BytesRow { Image = encoded[i % encoded.Length] });
        var data = ml.Data.LoadFromEnumerable(rows);
        using var transformer = ml.Transforms.CspFeaturize(SmallOptions(batchSize: 64)).Fit(data);
        var output = transformer.Transform(data);
        using var cursor = output.GetRowCursor([output.Schema["Features"]]);
        var getter = cursor.GetGetter<VBuffer<float>>(output.Schema["Features"]);
        VBuffer<float> value = default;
        long warm = 0, count = 0;
        double checksum = 0;
        while (cursor.MoveNext())
        {
            count++;
            getter(ref value);
            checksum += value.GetValues()[0];
            if (cursor.Position == 2_000) warm = Settle();
        }
        long end = Settle();
        Assert.AreEqual(10_000, count);
        Assert.IsFalse(double.IsNaN(checksum));
        double growth = (end - warm) / (double)warm;
        Console.WriteLine($"Working set after 2,000 rows {warm / 1e6:F0} MB, after 10,000 rows {end / 1e6:F0} MB ({growth:P1}).");
        Assert.IsLessThan(0.05, growth, "Process memory must stay flat while streaming.");

        static long Settle()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return Process.GetCurrentProcess().WorkingSet64;
        }
    }

    internal static void AssertClose(float[] expected, float[] actual, string what)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++) { diff += Math.Pow(expected[i] - actual[i], 2); norm += expected[i] * (double)expected[i]; }
        Assert.IsLessThan(1e-5, Math.Sqrt(diff / norm), what);
    }

    internal static void RunProbe(params string[] args) => ChildProcess.Run("LoadProbePath", args);

    internal static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var result = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
        return result;
    }

    private static List<Exception> Flatten(Exception e)
    {
        var list = new List<Exception>();
        for (var x = e; x is not null; x = x.InnerException) list.Add(x);
        return list;
    }
}

public sealed class ImageRowWithImage
{
    [ImageType(28, 28)]
    public MLImage? Image { get; set; }
}

public sealed class FeaturesRow
{
    public float[] Features { get; set; } = [];
}

public sealed class BytesRow
{
    public byte[] Image { get; set; } = [];
}
