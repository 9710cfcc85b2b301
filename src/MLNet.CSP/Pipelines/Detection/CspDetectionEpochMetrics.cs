namespace MLNet.CSP.Pipelines.Detection;

/// <summary>One finished detector training epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Planned epochs.</param>
/// <param name="Loss">Mean training loss (weighted sum of the three terms).</param>
/// <param name="BoxLoss">Mean box term (1 - CIoU or 1 - IoU at the positives).</param>
/// <param name="ObjectnessLoss">Mean objectness term.</param>
/// <param name="ClassLoss">Mean class term.</param>
/// <param name="LearningRate">Learning rate at the epoch's last step.</param>
/// <param name="Duration">Wall time of the epoch.</param>
public sealed record CspDetectionEpochMetrics(int Epoch, int Epochs, double Loss, double BoxLoss, double ObjectnessLoss, double ClassLoss,
    double LearningRate, TimeSpan Duration)
{
    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant(
        $"epoch {Epoch}/{Epochs}: loss {Loss:0.0000} (box {BoxLoss:0.0000}, obj {ObjectnessLoss:0.0000}, cls {ClassLoss:0.0000}), lr {LearningRate:G3}, {Duration.TotalSeconds:0.0} s");
}
