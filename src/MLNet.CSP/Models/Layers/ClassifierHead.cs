using TorchSharp;
using static TorchSharp.torch;
using Linear = TorchSharp.Modules.Linear;

namespace MLNet.CSP.Models.Layers;

/// <summary>Global average pooling then a linear classifier (<c>fc</c>), as timm's <c>ClassifierHead</c>.</summary>
public sealed class ClassifierHead : nn.Module<Tensor, Tensor>
{
    private Linear? fc;

    /// <summary>Creates the head; <paramref name="numClasses"/> 0 means no classifier (pooled features out).</summary>
    public ClassifierHead(int inFeatures, int numClasses) : base(nameof(ClassifierHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        InFeatures = inFeatures;
        RegisterComponents();
        Reset(numClasses);
    }

    /// <summary>Pooled feature count.</summary>
    public int InFeatures { get; }

    /// <summary>Number of classes (0 when the head has no classifier).</summary>
    public int NumClasses { get; private set; }

    /// <summary>Replaces the classifier with a freshly initialised one for <paramref name="numClasses"/> classes.</summary>
    public void Reset(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numClasses);
        fc?.Dispose();
        register_module("fc", null!);
        fc = numClasses > 0 ? nn.Linear(InFeatures, numClasses) : null;
        if (fc is not null) register_module("fc", fc);
        NumClasses = numClasses;
    }

    /// <summary>Pools the feature map; returns the pooled vector or, unless <paramref name="preLogits"/>, the logits.</summary>
    public Tensor Forward(Tensor features, bool preLogits)
    {
        var pooled = Pooling.GlobalAverage(features);
        if (preLogits || fc is null) return pooled;
        using (pooled) return fc.call(pooled);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Forward(x, preLogits: false);
}
