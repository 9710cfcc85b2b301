namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// Where the training loop gets its examples: an in-memory cache of decoded images or a stream that reads the data again each
/// epoch. Batches are network input [N, 3, S, S] with the task's targets (a class per image, boxes per image); the loop
/// disposes the images, and the targets when they are disposable.
/// </summary>
/// <typeparam name="TBatch">The targets of one batch.</typeparam>
internal interface ITrainingSource<TBatch>
{
    /// <summary>Examples per epoch (the schedule and progress are computed from it).</summary>
    int Count { get; }

    /// <summary>Identifies the data for resuming from a checkpoint directory (a different source must not resume).</summary>
    string Fingerprint { get; }

    /// <summary>The epoch's batches in a seeded random order, augmented; a last partial batch is dropped (BatchNorm needs more than one sample).</summary>
    IEnumerable<(Tensor Images, TBatch Targets)> TrainingBatches(int batchSize, Random random);

    /// <summary>Every example once, in order, without augmentation; the last batch may be smaller.</summary>
    IEnumerable<(Tensor Images, TBatch Targets)> EvaluationBatches(int batchSize);
}
