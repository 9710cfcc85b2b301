namespace MLNet.CSP.Models.Layers;

/// <summary>Activation functions used by the backbone family.</summary>
public enum ActivationKind
{
    /// <summary>No activation (identity).</summary>
    None,
    /// <summary>ReLU (torchvision ResNet, DenseNet).</summary>
    ReLU,
    /// <summary>LeakyReLU with negative slope 0.01 (timm CSPResNet, CSPResNeXt, (CSP)DarkNet).</summary>
    LeakyReLU,
    /// <summary>SiLU / swish (timm CS3 DarkNet).</summary>
    SiLU,
}
