namespace MLNet.CSP.Models.Layers;

/// <summary>
/// The replaceable linear classifier of a network, registered on its owner under the reference's name (<c>fc</c> in
/// torchvision's ResNet and timm's head, <c>classifier</c> in DenseNet), so the state-dict keys stay the reference's.
/// </summary>
internal sealed class ClassifierSlot(nn.Module owner, string name, int inFeatures)
{
    /// <summary>The linear layer, or null when the network has no classifier.</summary>
    public Linear? Layer { get; private set; }

    /// <summary>Number of classes (0 without a classifier).</summary>
    public int NumClasses => Layer is null ? 0 : (int)Layer.weight!.shape[0];

    /// <summary>Replaces the classifier with a freshly initialised one (PyTorch's default init); 0 removes it.</summary>
    public void Reset(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numClasses);
        Layer?.Dispose();
        owner.register_module(name, null!);
        Layer = numClasses > 0 ? nn.Linear(inFeatures, numClasses) : null;
        if (Layer is not null) owner.register_module(name, Layer);
    }

    /// <summary>Classifies pooled features; without a classifier returns them unchanged.</summary>
    public Tensor Apply(Tensor pooled) => Layer is null ? pooled.alias() : Layer.call(pooled);
}
