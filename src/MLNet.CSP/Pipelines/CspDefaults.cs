using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Pipelines;

/// <summary>Default values of the ML.NET components: the one place they are kept (the options classes read them from here).</summary>
public static class CspDefaults
{
    /// <summary>Backbone of the featurizer.</summary>
    public const string FeaturizerArchitecture = "cspresnet50";

    /// <summary>Backbone of the image classification trainer (small enough to train on a CPU).</summary>
    public const string ClassifierArchitecture = "cs3darknet_s";

    /// <summary>Images per forward pass when a model scores data (featurizer, trained classifier).</summary>
    public const int InferenceBatchSize = 16;

    /// <summary>What runs a fitted network when it scores: ONNX Runtime on the CPU where the application has it, else TorchSharp.</summary>
    public const InferenceEngine InferenceEngine = Pipelines.InferenceEngine.Auto;

    /// <summary>Smallest accepted network input side.</summary>
    public const int MinImageSize = 8;

    /// <summary>Largest accepted network input side (a 2048x2048 batch of 16 already needs about 0.8 GB for the input alone).</summary>
    public const int MaxImageSize = 2048;

    /// <summary>Image column name.</summary>
    public const string ImageColumnName = "Image";

    /// <summary>Feature column written by the featurizer.</summary>
    public const string FeaturesColumnName = "Features";

    /// <summary>Label column read by the trainer.</summary>
    public const string LabelColumnName = "Label";

    /// <summary>Class probabilities written by the classifier.</summary>
    public const string ScoreColumnName = "Score";

    /// <summary>Predicted class written by the classifier.</summary>
    public const string PredictedLabelColumnName = "PredictedLabel";

    /// <summary>Passes over the training data.</summary>
    public const int Epochs = 10;

    /// <summary>Images per optimisation step.</summary>
    public const int TrainingBatchSize = 64;

    /// <summary>Peak learning rate.</summary>
    public const double LearningRate = 2e-3;

    /// <summary>Optimizer.</summary>
    public const CspOptimizer Optimizer = CspOptimizer.AdamW;

    /// <summary>Weight decay (decoupled for AdamW).</summary>
    public const double WeightDecay = 0.05;

    /// <summary>Learning-rate schedule after the warm-up.</summary>
    public const CspLearningRateSchedule Schedule = CspLearningRateSchedule.Cosine;

    /// <summary>Linear warm-up length in epochs.</summary>
    public const double WarmupEpochs = 1;

    /// <summary>The biases' starting learning rate in the warm-up (0: as the other parameters; Ultralytics' <c>warmup_bias_lr</c>).</summary>
    public const double WarmupBiasLearningRate = 0;

    /// <summary>Whether normalisation weights and biases are exempt from weight decay.</summary>
    public const bool ExemptNormAndBiasFromWeightDecay = false;

    /// <summary>Label smoothing of the cross-entropy loss.</summary>
    public const double LabelSmoothing = 0.1;

    /// <summary>Training augmentation: none, which suits every kind of image and short budgets (docs/benchmarks.md).</summary>
    public const CspAugmentation Augmentation = CspAugmentation.None;

    /// <summary>Smallest area fraction of a random resized crop.</summary>
    public const double MinCropScale = 0.25;

    /// <summary>What early stopping watches on the validation set.</summary>
    public const CspEarlyStoppingMetric EarlyStoppingMetric = CspEarlyStoppingMetric.Accuracy;

    /// <summary>Whether training images are cached or streamed: cached while the estimate fits the memory budget.</summary>
    public const CspCacheMode CacheMode = CspCacheMode.Auto;

    /// <summary>Share of the memory available to the process that <see cref="CspCacheMode.Auto"/> lets the image cache take.</summary>
    public const double CacheMemoryFraction = 0.5;

    /// <summary>Batches decoded ahead of the one training when streaming.</summary>
    public const int PrefetchBatches = 2;

    /// <summary>Detector backbone: the smallest CSP network that trains in minutes on two cores.</summary>
    public const string DetectorArchitecture = "cs3darknet_s";

    /// <summary>Detector input size (square, letterboxed; a multiple of 32).</summary>
    public const int DetectorImageSize = 416;

    /// <summary>Detector images per optimisation step.</summary>
    public const int DetectorBatchSize = 16;

    /// <summary>The detector's exponential moving average of its weights (Ultralytics' decay, ramped up over 2,000 steps).</summary>
    public const double DetectorEmaDecay = 0.9999;

    /// <summary>Detector left-right flips (off: measured worse with the recipe on digits and on garments).</summary>
    public const bool DetectorHorizontalFlip = false;

    /// <summary>Detector peak learning rate (AdamW).</summary>
    public const double DetectorLearningRate = 1e-3;

    /// <summary>Lowest score a detection is kept with when the detector's validation data is scored (COCO evaluations keep nearly all).</summary>
    public const float ValidationScoreThreshold = 0.001f;

    /// <summary>Most detections per image when the detector's validation data is scored (COCO's limit).</summary>
    public const int ValidationMaxDetections = 100;

    /// <summary>Weight of the detector's class loss (box and objectness weigh 1).</summary>
    public const double DetectorClassLossWeight = 2.0;

    /// <summary>Share of detector training images built as a mosaic of four (YOLOv4/Ultralytics default: all).</summary>
    public const double DetectorMosaic = 1.0;

    /// <summary>Final detector epochs trained without mosaic, on whole images (Ultralytics' <c>close_mosaic</c>).</summary>
    public const int DetectorCloseMosaicEpochs = 10;

    /// <summary>Detector random scale: a factor drawn from [1 - x, 1 + x] (Ultralytics' <c>scale</c>).</summary>
    public const double DetectorScaleJitter = 0.5;

    /// <summary>Detector random translation, as a fraction of the input size (Ultralytics' <c>translate</c>).</summary>
    public const double DetectorTranslate = 0.1;

    /// <summary>Detector hue jitter, a fraction of a full turn (Ultralytics' <c>hsv_h</c>).</summary>
    public const double DetectorHueJitter = 0.015;

    /// <summary>Detector saturation jitter gain (Ultralytics' <c>hsv_s</c>).</summary>
    public const double DetectorSaturationJitter = 0.7;

    /// <summary>Detector brightness jitter gain (Ultralytics' <c>hsv_v</c>).</summary>
    public const double DetectorValueJitter = 0.4;

    /// <summary>Detector weight decay (decoupled).</summary>
    public const double DetectorWeightDecay = 5e-4;

    /// <summary>Input column of the ground-truth boxes (x0, y0, x1, y1 per box, original pixels).</summary>
    public const string BoundingBoxColumnName = "BoundingBoxes";

    /// <summary>Output column of the detected boxes.</summary>
    public const string PredictedBoundingBoxColumnName = "PredictedBoundingBoxes";

    /// <summary>Lowest score a detection is reported with.</summary>
    public const float DetectionScoreThreshold = 0.25f;

    /// <summary>NMS IoU threshold.</summary>
    public const float DetectionIouThreshold = 0.45f;

    /// <summary>Most detections reported per image.</summary>
    public const int MaxDetections = 100;

    /// <summary>Wall-clock budget of an AutoML search.</summary>
    public const uint SearchTimeInSeconds = 600;

    /// <summary>Successive halving's reduction factor.</summary>
    public const int SearchReductionFactor = 3;

    /// <summary>Share of a two-stage search's budget that the frozen-features stage may take.</summary>
    public const double SearchFeatureStageFraction = 0.2;

    /// <summary>Share of a two-stage search's budget kept for training the winning configuration again on all the data.</summary>
    public const double SearchFinalFitFraction = 0.25;

    /// <summary>Share of the data a search holds out for validation when given one data set.</summary>
    public const double SearchValidationFraction = 0.2;
}
