namespace MLNet.CSP.Pipelines.Training;

/// <summary>Optimizer of the trainers (<see cref="CspTrainingOptions.Optimizer"/>).</summary>
public enum CspOptimizer
{
    /// <summary>SGD with momentum 0.9 (Nesterov off).</summary>
    SgdMomentum,
    /// <summary>AdamW (decoupled weight decay).</summary>
    AdamW,
}

/// <summary>Learning-rate schedule over all training steps.</summary>
public enum CspLearningRateSchedule
{
    /// <summary>Linear warm-up, then constant.</summary>
    Constant,
    /// <summary>Linear warm-up, then cosine decay to zero.</summary>
    Cosine,
}

/// <summary>Training-time image augmentation.</summary>
public enum CspAugmentation
{
    /// <summary>The evaluation transform only.</summary>
    None,
    /// <summary>Random horizontal flip.</summary>
    HorizontalFlip,
    /// <summary>Random resized crop (area fraction in [<c>MinCropScale</c>, 1], aspect 3/4..4/3) and horizontal flip.</summary>
    RandomResizedCropAndFlip,
    /// <summary>
    /// Random translation by up to 1/8 of the image size (edge pixels repeated): keeps the label of any image, including
    /// digits, text and other images that a mirror would change.
    /// </summary>
    RandomShift,
}

/// <summary>What early stopping watches (on the validation set when there is one, else the training set).</summary>
public enum CspEarlyStoppingMetric
{
    /// <summary>Accuracy, higher is better.</summary>
    Accuracy,
    /// <summary>Cross-entropy loss, lower is better.</summary>
    Loss,
}
