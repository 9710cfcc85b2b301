using MLNet.CSP.Pipelines.Training;
using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using TorchSharp;

namespace MLNet.CSP.Tests.Pipelines;

/// <summary>
/// Training from images read again every epoch: the same seeded order and batches as the in-memory cache, the same model, the
/// Auto choice by memory budget (logged), and an image that goes bad in the middle of training named or skipped.
/// </summary>
[TestClass]
public sealed class StreamingTests : TempDirectoryTest
{
    private static readonly ImagePreprocessing Preprocessing = new(28, 32, Interpolation.Bilinear, [0.3f, 0.3f, 0.3f], [0.35f, 0.35f, 0.35f]);

    private static ClassificationLayout Layout() => new("Label", 10, Preprocessing);

    /// <summary>The first <paramref name="perClass"/> images of each class copied into the test folder (so the test may damage them), loaded and keyed.</summary>
    private (MLContext Ml, IDataView Data, List<ImageRow> Rows) Images(int perClass, int seed = 1)
    {
        var rows = FashionMnist.Load("train").GroupBy(r => r.Label).SelectMany(g => g.Take(perClass)).Select(r =>
        {
            string copy = Path.Combine(Folder, r.Label + "-" + Path.GetFileName(r.ImagePath));
            File.Copy(r.ImagePath, copy, overwrite: true);
            return new ImageRow { ImagePath = copy, Label = r.Label };
        }).ToList();
        var ml = new MLContext(seed: seed);
        var data = ml.Data.LoadFromEnumerable(rows);
        var loaded = ml.Transforms.LoadImages("Image", null, "ImagePath").Append(ml.Transforms.Conversion.MapValueToKey("Label")).Fit(data).Transform(data);
        return (ml, loaded, rows);
    }

    [TestMethod]
    public void AStreamedPassVisitsEveryRowOnceInTheCachedSetsSeededOrder()
    {
        var (_, data, rows) = Images(perClass: 6);
        using var cached = CachedTrainingImages<long, torch.Tensor>.Read(data, "Image", ImageColumnKind.Image, Layout(), default);
        using var streamed = StreamedTrainingImages<long, torch.Tensor>.Read(data, "Image", ImageColumnKind.Image, Layout(), workers: 2, skipUnreadable: false, warn: null, default);
        Assert.AreEqual(rows.Count, streamed.Count);
        Assert.AreEqual(0, streamed.HeldInMemory, "Images from files are not kept.");
        CollectionAssert.AreEqual(cached.Targets.ToList(), streamed.Targets.ToList());

        // Every row in order (evaluation pass), then a training pass without augmentation: the seeded permutation of those rows.
        var byRow = cached.EvaluationBatches(7).Select(b => b.Images).ToList();
        using var all = torch.cat(byRow, 0);
        var order = Enumerable.Range(0, rows.Count).ToArray();
        new Random(42).Shuffle(order);
        var passes = streamed.Augmented(CspAugmentation.None, 1).TrainingBatches(12, new Random(42)).ToList();
        Assert.HasCount(rows.Count / 12, passes);
        using var visited = torch.cat(passes.Select(p => p.Images).ToList(), 0);
        using var expected = all.index_select(0, torch.tensor(order.Select(i => (long)i).ToArray()));
        Assert.AreEqual(0f, (visited - expected).abs().max().item<float>(), "The streamed pass is the seeded permutation of the rows, each once.");
        CollectionAssert.AreEqual(order.Select(i => cached.Targets[i]).ToArray(), passes.SelectMany(p => p.Targets.data<long>().ToArray()).ToArray());

        // With random augmentation both sets draw the same numbers in the same order: identical batches.
        var a = cached.Augmented(CspAugmentation.RandomResizedCropAndFlip, 0.25).TrainingBatches(12, new Random(3)).ToList();
        var b = streamed.Augmented(CspAugmentation.RandomResizedCropAndFlip, 0.25).TrainingBatches(12, new Random(3)).ToList();
        Assert.HasCount(a.Count, b);
        for (int i = 0; i < a.Count; i++) Assert.AreEqual(0f, (a[i].Images - b[i].Images).abs().max().item<float>(), $"Augmented batch {i}.");
        // Encoded files kept in memory (Auto's middle step) replay the same pixels without touching the disk again.
        using var encoded = StreamedTrainingImages<long, torch.Tensor>.Read(data, "Image", ImageColumnKind.Image, Layout(), 2, false, null, default, encodedBudget: long.MaxValue);
        Assert.AreEqual(rows.Count, encoded.EncodedInMemory);
        Assert.AreEqual(0, encoded.ReadFromFiles);
        foreach (var row in rows) File.Delete(row.ImagePath);
        var fromMemory = encoded.Augmented(CspAugmentation.RandomResizedCropAndFlip, 0.25).TrainingBatches(12, new Random(3)).ToList();
        Assert.HasCount(a.Count, fromMemory);
        for (int i = 0; i < a.Count; i++) Assert.AreEqual(0f, (a[i].Images - fromMemory[i].Images).abs().max().item<float>(), $"Batch {i} from encoded bytes in memory.");
        foreach (var (images, targets) in fromMemory) { images.Dispose(); targets.Dispose(); }
        foreach (var (images, targets) in byRow.Select(x => (x, (torch.Tensor?)null)).Concat(passes.Select(p => (p.Images, (torch.Tensor?)p.Targets))).Concat(a.Select(p => (p.Images, (torch.Tensor?)p.Targets))).Concat(b.Select(p => (p.Images, (torch.Tensor?)p.Targets))))
        {
            images.Dispose();
            targets?.Dispose();
        }
    }

    [TestMethod]
    public void ImagesTransformedAfterLoadImagesAreNotReadAgainFromTheirFiles()
    {
        var (ml, data, rows) = Images(perClass: 2);
        // A resize after LoadImages: the pixels are no longer the file's, whatever tag the image carries.
        var resized = ml.Transforms.ResizeImages("Image", 20, 20, "Image").Fit(data).Transform(data);
        using var cached = CachedTrainingImages<long, torch.Tensor>.Read(resized, "Image", ImageColumnKind.Image, Layout(), default);
        using var streamed = StreamedTrainingImages<long, torch.Tensor>.Read(resized, "Image", ImageColumnKind.Image, Layout(), 0, false, null, default);
        Assert.AreEqual(rows.Count, streamed.HeldInMemory, "Held decoded, as the column gave them.");
        Assert.AreEqual(0, streamed.ReadFromFiles);
        var a = cached.Augmented(CspAugmentation.None, 1).TrainingBatches(5, new Random(1)).ToList();
        var b = streamed.Augmented(CspAugmentation.None, 1).TrainingBatches(5, new Random(1)).ToList();
        Assert.HasCount(a.Count, b);
        for (int i = 0; i < a.Count; i++) Assert.AreEqual(0f, (a[i].Images - b[i].Images).abs().max().item<float>(), $"Batch {i}.");
    }

    [TestMethod]
    public void ABytesColumnStreamsFromItsBytesAsTheCacheDecodesThem()
    {
        var (ml, _, rows) = Images(perClass: 2);
        var data = ml.Data.LoadFromEnumerable(rows);
        var bytes = ml.Transforms.LoadRawImageBytes("Image", null, "ImagePath").Append(ml.Transforms.Conversion.MapValueToKey("Label")).Fit(data).Transform(data);
        using var cached = CachedTrainingImages<long, torch.Tensor>.Read(bytes, "Image", ImageColumnKind.EncodedBytes, Layout(), default);
        using var streamed = StreamedTrainingImages<long, torch.Tensor>.Read(bytes, "Image", ImageColumnKind.EncodedBytes, Layout(), 0, false, null, default);
        Assert.AreEqual(rows.Count, streamed.EncodedInMemory);
        var a = cached.Augmented(CspAugmentation.HorizontalFlip, 1).TrainingBatches(5, new Random(2)).ToList();
        var b = streamed.Augmented(CspAugmentation.HorizontalFlip, 1).TrainingBatches(5, new Random(2)).ToList();
        Assert.HasCount(a.Count, b);
        for (int i = 0; i < a.Count; i++) Assert.AreEqual(0f, (a[i].Images - b[i].Images).abs().max().item<float>(), $"Batch {i}.");

        // A damaged image in a bytes column fails while the rows are read, naming its row, as the cache does.
        File.WriteAllBytes(rows[3].ImagePath, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => StreamedTrainingImages<long, torch.Tensor>.Read(bytes, "Image", ImageColumnKind.EncodedBytes, Layout(), 0, false, null, default));
        StringAssert.Contains(error.Message, "row 3");
    }

    [TestMethod]
    public void StreamedAndCachedTrainingGiveTheSameModel()
    {
        float[][] Train(CspCacheMode mode)
        {
            var (ml, data, _) = Images(perClass: 12, seed: 4);
            var options = TrainerTests.Small(epochs: 2);
            options.ImageSize = 28;
            options.BatchSize = 16;
            options.Augmentation = CspAugmentation.HorizontalFlip;
            options.ValidationFraction = 0.2;
            options.CacheMode = mode;
            using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(data);
            return model.Transform(data).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        }
        var cached = Train(CspCacheMode.Always);
        var streamed = Train(CspCacheMode.Never);
        for (int i = 0; i < cached.Length; i++) CollectionAssert.AreEqual(cached[i], streamed[i], $"Row {i}: the same seed trains the same model either way.");
    }

    [TestMethod]
    public void AutoCachesWithinTheBudgetStreamsBeyondItAndSaysSo()
    {
        var (ml, data, _) = Images(perClass: 3);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var options = TrainerTests.Small(epochs: 1);
        options.ImageSize = 28;
        options.BatchSize = 8;
        options.CacheMemoryBudgetBytes = 30 * new ClassificationLayout("Label", 10, new ImagePreprocessing(28, 28, Interpolation.Bilinear, [0, 0, 0], [1, 1, 1])).EstimatedBytesPerImage;
        ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(data).Dispose();
        Assert.IsTrue(messages.Any(m => m.Contains("30 training images need about") && m.Contains(": caching.")), string.Join("\n", messages.Where(m => m.Contains("Cache"))));
        Assert.IsTrue(messages.Any(m => m.Contains("Cached 30 training images in memory")));

        messages.Clear();
        options.CacheMemoryBudgetBytes -= 1;
        ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(data).Dispose();
        Assert.IsTrue(messages.Any(m => m.Contains(": streaming.")), string.Join("\n", messages.Where(m => m.Contains("Cache"))));
        Assert.IsTrue(messages.Any(m => m.Contains("Streaming 30 training images: decoded every epoch") && m.Contains("30 encoded in memory")),
            "Under Auto the encoded files take the budget the pixels did not fit: " + string.Join("\n", messages.Where(m => m.Contains("Streaming"))));
    }

    [TestMethod]
    public void AnImageThatGoesBadMidTrainingIsNamedOrSkippedAndCounted()
    {
        var (_, data, rows) = Images(perClass: 2);
        var warnings = new List<string>();
        using var all = StreamedTrainingImages<long, torch.Tensor>.Read(data, "Image", ImageColumnKind.Image, Layout(), 2, skipUnreadable: false, warn: null, default);
        // A held-out split renumbers the set (data row 5 is its third row); errors still name the data's row.
        using var strict = all.Subset(Enumerable.Range(3, rows.Count - 3));
        // The strict set decodes on worker threads, the lenient one on the calling thread (DecodeWorkers 0): both report the row.
        using var lenient = StreamedTrainingImages<long, torch.Tensor>.Read(data, "Image", ImageColumnKind.Image, Layout(), 0, skipUnreadable: true, warn: warnings.Add, default);
        // After the rows were read: the file of row 5 is cut in half, as a copy interrupted between epochs would leave it.
        byte[] whole = File.ReadAllBytes(rows[5].ImagePath);
        File.WriteAllBytes(rows[5].ImagePath, whole[..(whole.Length / 2)]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => strict.EvaluationBatches(4).ToList());
        StringAssert.Contains(error.Message, "row 5");
        StringAssert.Contains(error.Message, Path.GetFileName(rows[5].ImagePath));
        StringAssert.Contains(error.Message, "SkipUnreadableImages");

        var batches = lenient.EvaluationBatches(4).ToList();
        Assert.AreEqual(rows.Count - 1, batches.Sum(b => (int)b.Targets.shape[0]), "Every other row is still read.");
        Assert.AreEqual(1, lenient.SkippedLastPass);
        Assert.HasCount(1, warnings);
        StringAssert.Contains(warnings[0], "1 unreadable image(s)");
        StringAssert.Contains(warnings[0], Path.GetFileName(rows[5].ImagePath));
        foreach (var (images, targets) in batches)
        {
            images.Dispose();
            targets.Dispose();
        }
    }
}

/// <summary>Batches of one read set with another augmentation (the layouts store images alike).</summary>
internal static class AugmentedSets
{
    public static ImageTrainingSet<long, torch.Tensor> Augmented(this ImageTrainingSet<long, torch.Tensor> set, CspAugmentation augmentation, double minCropScale)
    {
        set.Layout = new ClassificationLayout("Label", 10, ((ClassificationLayout)set.Layout).Preprocessing, augmentation, minCropScale);
        return set;
    }
}
