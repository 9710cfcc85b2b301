using MLNet.CSP.Detection.Evaluation;

namespace MLNet.CSP.Pipelines.Detection;

/// <summary>One finished detector training epoch; passed to <c>Options.MetricsCallback</c> and logged to ML.NET's channel.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Planned epochs.</param>
/// <param name="Loss">Mean training loss (weighted sum of the three terms).</param>
/// <param name="BoxLoss">Mean box term (1 - CIoU or 1 - IoU at the positives).</param>
/// <param name="ObjectnessLoss">Mean objectness term.</param>
/// <param name="ClassLoss">Mean class term.</param>
/// <param name="LearningRate">Learning rate at the epoch's last step.</param>
/// <param name="Duration">Wall time of the epoch (training and validation).</param>
public sealed record CspDetectionEpochMetrics(int Epoch, int Epochs, double Loss, double BoxLoss, double ObjectnessLoss, double ClassLoss,
    double LearningRate, TimeSpan Duration)
{
    /// <summary>
    /// COCO metrics of the validation data after this epoch (boxes in letterboxed input pixels, every detection down to score
    /// 0.001, at most 100 per image), or null without validation data.
    /// </summary>
    public CocoMetrics? Validation { get; init; }

    /// <summary>
    /// The best epoch so far (1-based): by validation mAP@[.5:.95] when there is validation data, else by training loss. With
    /// <c>EarlyStoppingPatience</c> the trained model is the best epoch's weights.
    /// </summary>
    public int BestEpoch { get; init; }

    /// <summary>Training throughput of the epoch.</summary>
    public double ImagesPerSecond { get; init; }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant(
        $"epoch {Epoch}/{Epochs}: loss {Loss:0.0000} (box {BoxLoss:0.0000}, obj {ObjectnessLoss:0.0000}, cls {ClassLoss:0.0000})") +
        (Validation is { } v ? FormattableString.Invariant($", validation mAP {v.MeanAveragePrecision:0.0000} mAP50 {v.AveragePrecision50:0.0000}") : "") +
        FormattableString.Invariant($", lr {LearningRate:G3}, {ImagesPerSecond:0} images/s, {Duration.TotalSeconds:0.0} s");
}
