using MLNet.CSP.Detection.Evaluation;

namespace MLNet.CSP.Pipelines.Detection;

/// <summary>
/// Object detection for the training loop: the YOLOv3 objective on the detector's three scales; validation decodes every
/// image (score down to <see cref="CspDefaults.ValidationScoreThreshold"/>, NMS, up to <see cref="CspDefaults.ValidationMaxDetections"/>
/// per image, as COCO evaluations do) and scores it with <see cref="CocoEvaluator"/>; early stopping and the best epoch watch
/// the validation mAP@[.5:.95] (the training loss without validation data). The backbone is what freezing freezes.
/// </summary>
internal sealed class DetectionTask(CspDetector detector, CspObjectDetectionOptions options, DetectionLayout layout) : ITrainingTask<IReadOnlyList<IReadOnlyList<LabeledBox>>>
{
    private const string BackbonePrefix = "backbone.";
    private readonly DetectionLoss loss = new(detector.Anchors, detector.NumClasses, options.BoxLoss) { Gains = (1.0, 1.0, options.ClassLossWeight) };
    private readonly DetectionDecoder decoder = new(detector.Anchors, detector.NumClasses, CspDefaults.ValidationScoreThreshold,
        options.IouThreshold, CspDefaults.ValidationMaxDetections);
    private double sum, box, objectness, cls;
    private (double Box, double Objectness, double Class) step;
    private int batches;

    public string Name => "CspObjectDetection";

    public nn.Module Model => detector;

    public string Identity => string.Join("|", detector.Architecture, detector.Neck, detector.NumClasses, detector.ImageSize,
        string.Join(",", detector.Anchors.Sizes.Select(a => FormattableString.Invariant($"{a.Width:0.###}x{a.Height:0.###}"))), options.BoxLoss, options.ClassLossWeight, options.Augmentation());

    public bool KeepsBestEpochWithValidation => true;

    public double DefaultEmaDecay => CspDefaults.DetectorEmaDecay;

    public bool IsHead(string parameterName) => !parameterName.StartsWith(BackbonePrefix, StringComparison.Ordinal);

    public double TrainingAccuracy => double.NaN;

    public double TrainingWatched => batches == 0 ? double.NaN : sum / batches;

    public void BeginEpoch(int epoch, int epochs)
    {
        (sum, box, objectness, cls, batches) = (0, 0, 0, 0, 0);
        layout.BeginEpoch(epoch, epochs);
    }

    public void SetTrainingMode(bool frozen)
    {
        detector.train();
        if (frozen) detector.Backbone.eval();
    }

    public Tensor Loss(Tensor images, IReadOnlyList<IReadOnlyList<LabeledBox>> targets)
    {
        var (total, boxLoss, objectnessLoss, classLoss) = loss.Compute(detector.call(images), targets);
        step = (boxLoss, objectnessLoss, classLoss);
        return total;
    }

    public void AfterStep(float value, int batchSize)
    {
        (sum, box, objectness, cls) = (sum + value, box + step.Box, objectness + step.Objectness, cls + step.Class);
        batches++;
    }

    public TaskValidation Validate(IEnumerable<(Tensor Images, IReadOnlyList<IReadOnlyList<LabeledBox>> Targets)> data, Device device)
    {
        var truth = new List<IReadOnlyList<LabeledBox>>();
        var found = new List<IReadOnlyList<ScoredBox>>();
        foreach (var (images, targets) in data)
        {
            using var scope = torch.NewDisposeScope();
            using var batchImages = images;
            found.AddRange(decoder.Decode(detector.call(images.to(device)), detector.ImageSize, detector.ImageSize));
            truth.AddRange(targets);
        }
        if (truth.Count == 0) throw new InvalidDataException("No validation image could be read.");
        var metrics = CocoEvaluator.Evaluate(truth, found);
        return new TaskValidation(-metrics.MeanAveragePrecision, metrics);
    }

    public EpochOutcome EndEpoch(EpochSummary summary, TaskValidation? validation)
    {
        var metrics = new CspDetectionEpochMetrics(summary.Epoch, summary.Epochs, sum / batches, box / batches, objectness / batches, cls / batches,
            summary.LearningRate, summary.Elapsed)
        {
            Validation = validation?.Metrics as CocoMetrics,
            BestEpoch = summary.BestEpoch,
            ImagesPerSecond = summary.Seen / summary.TrainingTime.TotalSeconds,
        };
        options.MetricsCallback?.Invoke(metrics);
        return new EpochOutcome(metrics.ToString(), null);
    }
}
