namespace MLNet.CSP.Pipelines.Classification;

/// <summary>What one training epoch achieved; passed to <c>Options.MetricsCallback</c> and logged to ML.NET's channel.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Planned epochs.</param>
/// <param name="TrainLoss">Mean training loss (with label smoothing).</param>
/// <param name="TrainAccuracy">Training accuracy of the epoch's batches (augmented, in training mode).</param>
/// <param name="ValidationLoss">Validation cross-entropy, or null without validation data.</param>
/// <param name="ValidationAccuracy">Validation accuracy, or null without validation data.</param>
/// <param name="LearningRate">Learning rate at the end of the epoch.</param>
/// <param name="ImagesPerSecond">Training throughput of the epoch.</param>
/// <param name="Elapsed">Wall time of the epoch (training and validation).</param>
public sealed record CspEpochMetrics(
    int Epoch,
    int Epochs,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    double ImagesPerSecond,
    TimeSpan Elapsed)
{
    /// <summary>
    /// The best epoch so far (1-based; on the validation data when there is some, else on the training batches) by the early
    /// stopping metric. With <c>EarlyStoppingPatience</c> the trained model is the best epoch's weights.
    /// </summary>
    public int BestEpoch { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"epoch {Epoch}/{Epochs}: train loss {TrainLoss:F4} acc {TrainAccuracy:P2}" +
        (ValidationAccuracy is double va ? $", validation loss {ValidationLoss:F4} acc {va:P2}" : "") +
        $", lr {LearningRate:G3}, {ImagesPerSecond:F0} images/s, {Elapsed.TotalSeconds:F1} s";
}
