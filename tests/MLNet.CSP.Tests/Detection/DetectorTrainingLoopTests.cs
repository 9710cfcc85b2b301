using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Detection;
using MLNet.CSP.Detection.Evaluation;
using MLNet.CSP.Imaging;
using MLNet.CSP.Pipelines.Detection;
using MLNet.CSP.Pipelines.Training;
using MLNet.CSP.Weights;
using TorchSharp;

namespace MLNet.CSP.Tests.Detection;

/// <summary>
/// The detector trains through the library's one training loop: a cancelled run resumes from its checkpoint directory and
/// ends with the uninterrupted run's weights, the validation mAP of each epoch is <see cref="CocoEvaluator"/>'s on that
/// epoch's predictions, and streamed and cached images train the same model.
/// </summary>
[TestClass]
public sealed class DetectorTrainingLoopTests : TempDirectoryTest
{
    private const int Size = 64;

    private static CspObjectDetectionTrainer.Options Options() => new()
    {
        ImageSize = Size, Epochs = 3, BatchSize = 4, LearningRate = 2e-3, TorchThreads = 2, ScoreThreshold = 0.001f, MaxDetections = 100,
    };

    private (MLContext Ml, IDataView Prepared, List<DetectionRow> Rows) Load(int count, int seed, string folder)
    {
        Directory.CreateDirectory(folder);
        var rows = SyntheticDetectionSet.Write(folder, count, seed);
        var ml = new MLContext(seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var prepared = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(SyntheticDetectionSet.Classes.Select(c => new { Label = c })))
            .Append(ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath"))
            .Fit(data).Transform(data);
        return (ml, prepared, rows);
    }

    private static float[][] Boxes(ITransformer model, IDataView data) =>
        [.. model.Transform(data).GetColumn<float[]>("PredictedBoundingBoxes")];

    [TestMethod]
    [Timeout(300_000)]
    public void ACancelledRunResumesFromItsCheckpointAndEndsLikeAnUninterruptedOne()
    {
        var (_, data, _) = Load(12, seed: 5, Path.Combine(Folder, "images"));
        var options = Options();
        options.ValidationFraction = 0.25;
        options.CheckpointDirectory = Path.Combine(Folder, "uninterrupted");
        using var uninterrupted = new MLContext(seed: 3).MulticlassClassification.Trainers.CspObjectDetection(options).Fit(data);
        var expected = Boxes(uninterrupted, data);

        // Cancelled during the second epoch: the fit throws (it does not return a half-trained model), epoch 1 is on disk.
        var interrupted = Options();
        interrupted.ValidationFraction = 0.25;
        interrupted.CheckpointDirectory = Path.Combine(Folder, "interrupted");
        using var cancel = new CancellationTokenSource();
        interrupted.CancellationToken = cancel.Token;
        interrupted.MetricsCallback = m => { if (m.Epoch == 1) cancel.Cancel(); };
        Assert.ThrowsExactly<OperationCanceledException>(() => new MLContext(seed: 3).MulticlassClassification.Trainers.CspObjectDetection(interrupted).Fit(data));
        StringAssert.Contains(File.ReadAllText(Path.Combine(interrupted.CheckpointDirectory, "state.json")), "\"CompletedEpochs\":1");

        var resumedEpochs = new List<int>();
        interrupted.CancellationToken = default;
        interrupted.MetricsCallback = m => resumedEpochs.Add(m.Epoch);
        using var resumed = new MLContext(seed: 3).MulticlassClassification.Trainers.CspObjectDetection(interrupted).Fit(data);
        CollectionAssert.AreEqual(new[] { 2, 3 }, resumedEpochs, "The resumed fit trains only the epochs left.");
        var actual = Boxes(resumed, data);
        Assert.HasCount(expected.Length, actual);
        for (int r = 0; r < expected.Length; r++) CollectionAssert.AreEqual(expected[r], actual[r], $"Row {r}: resumed = uninterrupted.");
        Assert.IsTrue(expected.Sum(b => b.Length) > 0, "There were boxes to compare.");
    }

    [TestMethod]
    [Timeout(300_000)]
    public void EachEpochsValidationMapIsCocoEvaluatorsOnThatEpochsPredictions()
    {
        var (ml, train, _) = Load(12, seed: 6, Path.Combine(Folder, "train"));
        var (_, validation, validationRows) = Load(4, seed: 7, Path.Combine(Folder, "validation"));
        var options = Options();
        options.ValidationSet = validation;
        options.EarlyStoppingPatience = 10; // never stops early here, but keeps the best epoch's weights as the model
        options.CheckpointDirectory = Path.Combine(Folder, "checkpoints");
        var epochs = new List<CspDetectionEpochMetrics>();
        // The callback runs before the epoch is saved: at epoch k the directory holds epoch k - 1's weights.
        string Kept(int epoch) => Path.Combine(Folder, $"epoch{epoch}.safetensors");
        options.MetricsCallback = m =>
        {
            epochs.Add(m);
            if (m.Epoch > 1) File.Copy(Path.Combine(options.CheckpointDirectory, "last.safetensors"), Kept(m.Epoch - 1));
        };
        using var model = ml.MulticlassClassification.Trainers.CspObjectDetection(options).Fit(train);
        File.Copy(Path.Combine(options.CheckpointDirectory, "last.safetensors"), Kept(epochs.Count));

        Assert.HasCount(3, epochs);
        for (int i = 0; i < epochs.Count; i++)
        {
            var independent = Independent(validationRows, Kept(i + 1), model.Detector.Anchors, model.Normalisation, options.IouThreshold);
            Assert.IsNotNull(epochs[i].Validation, $"Epoch {i + 1} has validation metrics.");
            Assert.AreEqual(independent.MeanAveragePrecision, epochs[i].Validation!.MeanAveragePrecision, 1e-12, $"Epoch {i + 1} mAP.");
            Assert.AreEqual(independent.AveragePrecision50, epochs[i].Validation!.AveragePrecision50, 1e-12, $"Epoch {i + 1} mAP50.");
            StringAssert.Contains(epochs[i].ToString(), "validation mAP");
        }
        int best = 1 + Enumerable.Range(0, epochs.Count).OrderByDescending(i => epochs[i].Validation!.MeanAveragePrecision).ThenBy(i => i).First();
        Assert.AreEqual(best, epochs[^1].BestEpoch, "The best epoch is the one with the highest validation mAP.");
        Assert.IsTrue(epochs.Any(e => e.Validation!.AveragePrecision50 > 0), "Some epoch found something (the comparison is not of empty results).");
    }

    /// <summary>
    /// An epoch's validation metrics computed here: a fresh detector with the epoch's saved weights in eval mode, the validation
    /// images letterboxed and rounded to bytes as the training sets keep them, in one batch, decoded at COCO's thresholds
    /// (score 0.001, 100 per image), scored with <see cref="CocoEvaluator"/> against the boxes mapped into the letterbox.
    /// </summary>
    private static CocoMetrics Independent(List<DetectionRow> rows, string weights, AnchorBoxes anchors, ImagePreprocessing normalisation, float iou)
    {
        using var scope = torch.NewDisposeScope();
        using var detector = new CspDetector("cs3darknet_s", SyntheticDetectionSet.Classes.Length, NeckKind.Efm, anchors, Size);
        Checkpoint.Load(detector, weights);
        detector.eval();
        using var noGrad = torch.no_grad();
        var truth = new List<IReadOnlyList<LabeledBox>>();
        var images = new List<torch.Tensor>();
        foreach (var row in rows)
        {
            using var image = MLImage.CreateFromFile(row.ImagePath);
            images.Add(Letterbox.Place(image, Size).mul(255f).round().clamp(0, 255).div(255f));
            var placement = Letterbox.For(image.Width, image.Height, Size);
            truth.Add([.. row.Label.Select((label, i) => new LabeledBox(new BoundingBox(
                placement.ToInputX(row.BoundingBoxes[4 * i]), placement.ToInputY(row.BoundingBoxes[4 * i + 1]),
                placement.ToInputX(row.BoundingBoxes[4 * i + 2]), placement.ToInputY(row.BoundingBoxes[4 * i + 3])), Array.IndexOf(SyntheticDetectionSet.Classes, label)))]);
        }
        var outputs = detector.call(ImageTensors.Normalize(torch.stack(images), normalisation));
        var found = new DetectionDecoder(anchors, SyntheticDetectionSet.Classes.Length, 0.001f, iou, 100).Decode(outputs, Size, Size);
        return CocoEvaluator.Evaluate(truth, found);
    }

    [TestMethod]
    [Timeout(300_000)]
    public void StreamedAndCachedImagesTrainTheSameDetector()
    {
        var (ml, data, _) = Load(12, seed: 8, Path.Combine(Folder, "images"));
        float[][] Train(CspCacheMode mode)
        {
            var options = Options();
            options.Epochs = 2;
            options.ValidationFraction = 0.25;
            options.CacheMode = mode;
            using var model = new MLContext(seed: 3).MulticlassClassification.Trainers.CspObjectDetection(options).Fit(data);
            return Boxes(model, data);
        }
        var cached = Train(CspCacheMode.Always);
        var streamed = Train(CspCacheMode.Never);
        for (int r = 0; r < cached.Length; r++) CollectionAssert.AreEqual(cached[r], streamed[r], $"Row {r}: the same seed trains the same detector either way.");
    }
}
