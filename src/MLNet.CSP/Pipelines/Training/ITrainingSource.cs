using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// Where the training loop gets its examples: an in-memory cache of decoded images or a stream that reads the data again each
/// epoch. Batches are preprocessed network input [N, 3, S, S] with the task's targets; the loop disposes them.
/// </summary>
internal interface ITrainingSource
{
    /// <summary>Examples per epoch (the schedule and progress are computed from it).</summary>
    int Count { get; }

    /// <summary>Identifies the data for resuming from a checkpoint directory (a different source must not resume).</summary>
    string Fingerprint { get; }

    /// <summary>The epoch's batches in a seeded random order, augmented; a last partial batch is dropped (BatchNorm needs more than one sample).</summary>
    IEnumerable<(Tensor Images, Tensor Targets)> TrainingBatches(int batchSize, CspAugmentation augmentation, double minCropScale, Random random);

    /// <summary>Every example once, in order, with the evaluation transform; the last batch may be smaller.</summary>
    IEnumerable<(Tensor Images, Tensor Targets)> EvaluationBatches(int batchSize);
}
