namespace MLNet.CSP.Export.Onnx;

/// <summary>What an exported ONNX model outputs.</summary>
public enum OnnxOutput
{
    /// <summary><c>logits</c> [N, classes]: the classifier's raw scores.</summary>
    Logits,

    /// <summary><c>probabilities</c> [N, classes]: the softmax of the logits.</summary>
    Probabilities,

    /// <summary><c>features</c> [N, NumFeatures]: the globally pooled feature vector (no classifier).</summary>
    Features,
}
