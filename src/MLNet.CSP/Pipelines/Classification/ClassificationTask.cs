namespace MLNet.CSP.Pipelines.Classification;

/// <summary>
/// Image classification for the training loop: logits, label-smoothed cross-entropy, arg-max accuracy, the classifier as the
/// head; validation is cross-entropy and accuracy, and early stopping watches the one the options name.
/// </summary>
internal sealed class ClassificationTask(Backbone model, CspImageClassificationOptions options, int imageSize) : ITrainingTask<Tensor>
{
    private double lossSum;
    private long correct, seen;
    private long stepCorrect;

    /// <summary>A task with default options, for tests of the loss and accuracy alone.</summary>
    public ClassificationTask(Backbone model, double labelSmoothing)
        : this(model, new CspImageClassificationOptions { LabelSmoothing = labelSmoothing }, 0)
    {
    }

    public string Name => "CspImageClassification";

    public nn.Module Model => model;

    public string Identity => string.Join("|", model.Architecture, model.NumClasses, imageSize, options.LabelSmoothing, options.Augmentation, options.MinCropScale);

    public bool KeepsBestEpochWithValidation => false;

    public double DefaultEmaDecay => 0;

    public bool IsHead(string parameterName) => parameterName.StartsWith(model.ClassifierPrefix, StringComparison.Ordinal);

    public double TrainingAccuracy => seen == 0 ? double.NaN : correct / (double)seen;

    public double TrainingWatched => options.EarlyStoppingMetric == CspEarlyStoppingMetric.Accuracy ? -TrainingAccuracy : lossSum / seen;

    public void SetTrainingMode(bool frozen)
    {
        if (frozen) model.eval(); else model.train();
    }

    public void BeginEpoch(int epoch, int epochs) => (lossSum, correct, seen) = (0, 0, 0);

    public Tensor Loss(Tensor images, Tensor targets)
    {
        var output = model.forward(images);
        var y = targets.to(images.device);
        stepCorrect = Correct(output, y);
        return TrainingLoss(output, y);
    }

    public void AfterStep(float loss, int batchSize)
    {
        lossSum += loss * batchSize;
        correct += stepCorrect;
        seen += batchSize;
    }

    public TaskValidation Validate(IEnumerable<(Tensor Images, Tensor Targets)> batches, Device device)
    {
        double sum = 0;
        long right = 0, evaluated = 0;
        foreach (var (images, targets) in batches)
        {
            using var scope = torch.NewDisposeScope();
            using var batchImages = images;
            using var batchTargets = targets;
            var y = targets.to(device);
            var output = model.forward(images.to(device));
            sum += EvaluationLossSum(output, y).item<float>();
            right += Correct(output, y);
            evaluated += targets.shape[0];
        }
        // Over the rows actually evaluated: a streamed set may leave unreadable images out (SkipUnreadableImages).
        if (evaluated == 0) throw new InvalidDataException("No validation image could be read.");
        var (loss, accuracy) = (sum / evaluated, right / (double)evaluated);
        return new TaskValidation(options.EarlyStoppingMetric == CspEarlyStoppingMetric.Accuracy ? -accuracy : loss, (loss, accuracy));
    }

    public EpochOutcome EndEpoch(EpochSummary summary, TaskValidation? validation)
    {
        var (loss, accuracy) = validation?.Metrics is (double l, double a) ? (l, a) : ((double?)null, (double?)null);
        var metrics = new CspEpochMetrics(summary.Epoch, summary.Epochs, lossSum / seen, correct / (double)seen, loss, accuracy,
            summary.LearningRate, summary.Seen / summary.TrainingTime.TotalSeconds, summary.Elapsed) { BestEpoch = summary.BestEpoch };
        options.MetricsCallback?.Invoke(metrics);
        return new EpochOutcome(metrics.ToString(), options.RescheduleAfterEpoch?.Invoke(metrics));
    }

    /// <summary>Label-smoothed cross-entropy, mean over the batch.</summary>
    public Tensor TrainingLoss(Tensor output, Tensor targets) => nn.functional.cross_entropy(output, targets, label_smoothing: options.LabelSmoothing);

    /// <summary>Cross-entropy summed over the batch (no smoothing), so epochs average it over examples.</summary>
    public static Tensor EvaluationLossSum(Tensor output, Tensor targets) => nn.functional.cross_entropy(output, targets, reduction: nn.Reduction.Sum);

    /// <summary>How many examples of the batch the output gets right.</summary>
    public static long Correct(Tensor output, Tensor targets)
    {
        using var predicted = output.argmax(1);
        using var right = predicted.eq(targets);
        using var count = right.sum();
        return count.item<long>();
    }
}
