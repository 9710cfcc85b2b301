namespace MLNet.CSP.Pipelines.Training;

/// <summary>Progress within an epoch, for progress bars (<c>Options.BatchCallback</c>).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batch">1-based batch within the epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Mean loss so far in this epoch.</param>
/// <param name="Accuracy">Accuracy so far in this epoch.</param>
/// <param name="ImagesPerSecond">Throughput so far in this epoch.</param>
public sealed record CspBatchProgress(int Epoch, int Batch, int Batches, double Loss, double Accuracy, double ImagesPerSecond);
