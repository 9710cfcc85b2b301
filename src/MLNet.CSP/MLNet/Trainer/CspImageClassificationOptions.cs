using MLNet.CSP.Models;

namespace MLNet.CSP.MLNet.Trainer;

/// <summary>Options of <c>mlContext.MulticlassClassification.Trainers.CspImageClassification</c>; every default lives here.</summary>
public class CspImageClassificationOptions
{
    /// <summary>Key-typed label column (use <c>MapValueToKey</c>).</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Image column (<c>LoadImages</c> output or encoded bytes).</summary>
    public string ImageColumnName { get; set; } = CspDefaults.ImageColumnName;

    /// <summary>Output: per-class probabilities.</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>Output: predicted class, the label's key type.</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>Registered backbone (see <see cref="Backbones.Names"/>).</summary>
    public string Architecture { get; set; } = "cs3darknet_s";

    /// <summary>Checkpoint to start from (published or saved by this library); its classifier is replaced. Null: random init from the context's seed.</summary>
    public string? WeightsPath { get; set; }

    /// <summary>Network input side; null: the architecture's pretrained input size.</summary>
    public int? ImageSize { get; set; }

    /// <summary>Center-crop fraction of the evaluation transform; null: the pretrained one.</summary>
    public double? CropFraction { get; set; }

    /// <summary>RGB mean; null: the pretrained one (ImageNet).</summary>
    public float[]? Mean { get; set; }

    /// <summary>RGB standard deviation; null: the pretrained one (ImageNet).</summary>
    public float[]? Std { get; set; }

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Images per optimisation step.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; set; } = 2e-3;

    /// <summary>Optimizer.</summary>
    public CspOptimizer Optimizer { get; set; } = CspOptimizer.AdamW;

    /// <summary>Weight decay (decoupled for AdamW).</summary>
    public double WeightDecay { get; set; } = 0.05;

    /// <summary>Learning-rate schedule.</summary>
    public CspLearningRateSchedule Schedule { get; set; } = CspLearningRateSchedule.Cosine;

    /// <summary>Linear warm-up length in epochs (fractions allowed).</summary>
    public double WarmupEpochs { get; set; } = 1;

    /// <summary>Label smoothing of the cross-entropy loss.</summary>
    public double LabelSmoothing { get; set; } = 0.1;

    /// <summary>
    /// Training augmentation. <see cref="CspAugmentation.None"/> by default: right for every kind of image (a mirror changes
    /// digits and text) and the most accurate on short budgets (4 epochs: docs/benchmarks.md); for longer runs on photos
    /// <see cref="CspAugmentation.HorizontalFlip"/> or <see cref="CspAugmentation.RandomResizedCropAndFlip"/> usually helps, and
    /// <see cref="CspAugmentation.RandomShift"/> keeps every label.
    /// </summary>
    public CspAugmentation Augmentation { get; set; } = CspAugmentation.None;

    /// <summary>Smallest area fraction of a random resized crop.</summary>
    public double MinCropScale { get; set; } = 0.25;

    /// <summary>Train the classifier only (backbone frozen, in eval mode).</summary>
    public bool FreezeBackbone { get; set; }

    /// <summary>With <see cref="FreezeBackbone"/>: unfreeze the whole network after this many epochs (null: never).</summary>
    public int? UnfreezeAfterEpochs { get; set; }

    /// <summary>Validation data (same columns as the training data); overrides <see cref="ValidationFraction"/>.</summary>
    public Microsoft.ML.IDataView? ValidationSet { get; set; }

    /// <summary>Share of the training rows held out for validation when no <see cref="ValidationSet"/> is given.</summary>
    public double ValidationFraction { get; set; }

    /// <summary>Stop after this many epochs without improvement (null: never); the best epoch's weights are kept.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>What early stopping watches.</summary>
    public CspEarlyStoppingMetric EarlyStoppingMetric { get; set; } = CspEarlyStoppingMetric.Accuracy;

    /// <summary>Called after every epoch.</summary>
    public Action<CspEpochMetrics>? MetricsCallback { get; set; }

    /// <summary>Called after every batch (progress bars).</summary>
    public Action<CspBatchProgress>? BatchCallback { get; set; }

    /// <summary>Stops training between batches (throws <see cref="OperationCanceledException"/>; the last finished epoch is in <see cref="CheckpointDirectory"/>).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Where each finished epoch is saved; a later run with the same directory and options resumes after the last finished epoch.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>"cpu", "cuda" or "cuda:N"; null follows <c>MLContext.GpuDeviceId</c>.</summary>
    public string? Device { get; set; }

    /// <summary>Run on the CPU when CUDA is unavailable; null follows <c>MLContext.FallbackToCpu</c>.</summary>
    public bool? FallbackToCpu { get; set; }

    /// <summary>Torch intra-op threads (process-wide); null leaves libtorch's choice.</summary>
    public int? TorchThreads { get; set; }

    /// <summary>Images per forward pass when scoring with the trained model.</summary>
    public int InferenceBatchSize { get; set; } = CspDefaults.FeaturizerBatchSize;
}
