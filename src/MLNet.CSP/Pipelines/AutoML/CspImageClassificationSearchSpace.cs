using Microsoft.ML.SearchSpace;
using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The default search space of <see cref="CspImageClassificationExperiment"/>, declared with ML.NET's own search-space
/// attributes, and the values of one trial. To search something else, declare a class with properties of the same names and
/// your own <see cref="ChoiceAttribute"/>, <see cref="RangeAttribute"/> or <see cref="BooleanChoiceAttribute"/> and pass it to
/// <see cref="CspImageClassificationExperiment.SetSearchSpace{T}"/>; properties it does not declare keep these ranges, and
/// the attributes' defaults (or, without one, its initial values) are the first configuration tried.
/// </summary>
public sealed class CspImageClassificationSearchSpace
{
    /// <summary>Registered backbone name (small CSP networks that fine-tune on a CPU by default).</summary>
    [Choice(new object[] { "cs3darknet_s", "cs3darknet_m", "cspresnet50" }, "cs3darknet_s")]
    public string Architecture { get; set; } = CspDefaults.ClassifierArchitecture;

    /// <summary>Network input side in pixels (for photos declare larger sizes, e.g. 128 and 224).</summary>
    [Choice(new object[] { 32, 64 }, 32)]
    public int ImageSize { get; set; } = 32;

    /// <summary>Peak learning rate of fine-tuning (log-uniform).</summary>
    [Range(3e-4, 1e-2, CspDefaults.LearningRate, true)]
    public double LearningRate { get; set; } = CspDefaults.LearningRate;

    /// <summary>Weight decay of fine-tuning (log-uniform).</summary>
    [Range(1e-3, 0.1, CspDefaults.WeightDecay, true)]
    public double WeightDecay { get; set; } = CspDefaults.WeightDecay;

    /// <summary>Label smoothing of fine-tuning.</summary>
    [Range(0.0, 0.2, CspDefaults.LabelSmoothing, false)]
    public double LabelSmoothing { get; set; } = CspDefaults.LabelSmoothing;

    /// <summary>Training augmentation of fine-tuning (flips are left out by default: they change digits and text).</summary>
    [Choice(new object[] { CspAugmentation.None, CspAugmentation.RandomShift }, CspAugmentation.None)]
    public CspAugmentation Augmentation { get; set; } = CspDefaults.Augmentation;

    /// <summary>Fine-tuning trains the classifier only (backbone frozen) or the whole network.</summary>
    [BooleanChoice(false)]
    public bool FreezeBackbone { get; set; }

    /// <summary>The ML.NET trainer on frozen features (first stage; every declared one is tried per architecture and size).</summary>
    [Choice(new object[] { CspHeadTrainer.LbfgsMaximumEntropy, CspHeadTrainer.SdcaMaximumEntropy, CspHeadTrainer.LightGbm, CspHeadTrainer.FastTree }, CspHeadTrainer.LbfgsMaximumEntropy)]
    public CspHeadTrainer Head { get; set; } = CspHeadTrainer.LbfgsMaximumEntropy;

    /// <summary>A copy of these values.</summary>
    public CspImageClassificationSearchSpace Clone() => (CspImageClassificationSearchSpace)MemberwiseClone();

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"{Architecture}@{ImageSize} lr={LearningRate:G3} wd={WeightDecay:G3} ls={LabelSmoothing:G3} aug={Augmentation} frozen={FreezeBackbone} head={Head}");
}
