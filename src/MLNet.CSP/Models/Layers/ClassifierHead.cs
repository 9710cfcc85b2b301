namespace MLNet.CSP.Models.Layers;

/// <summary>The linear classifier (<c>fc</c>) of timm's <c>ClassifierHead</c>; pooling is done by <see cref="Backbone"/>.</summary>
public sealed class ClassifierHead : nn.Module<Tensor, Tensor>
{
    private readonly ClassifierSlot fc;

    /// <summary>The classifier slot (<c>fc</c> inside this head), which the network resets and applies.</summary>
    internal ClassifierSlot Slot => fc;

    /// <summary>Creates the head; <paramref name="numClasses"/> 0 means no classifier (pooled features out).</summary>
    public ClassifierHead(int inFeatures, int numClasses) : base(nameof(ClassifierHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        InFeatures = inFeatures;
        fc = new ClassifierSlot(this, "fc", inFeatures);
        fc.Reset(numClasses);
    }

    /// <summary>Pooled feature count.</summary>
    public int InFeatures { get; }

    /// <summary>Number of classes (0 when the head has no classifier).</summary>
    public int NumClasses => fc.NumClasses;

    /// <summary>Replaces the classifier with a freshly initialised one for <paramref name="numClasses"/> classes.</summary>
    public void Reset(int numClasses) => fc.Reset(numClasses);

    /// <summary>Classifies pooled features [N, InFeatures]; without a classifier returns them unchanged.</summary>
    public override Tensor forward(Tensor pooled) => fc.Apply(pooled);
}
