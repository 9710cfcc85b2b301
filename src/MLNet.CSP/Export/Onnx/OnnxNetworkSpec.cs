namespace MLNet.CSP.Export.Onnx;

/// <summary>
/// What an export writes around the network: the declared input size, the options and, for trained ML.NET models, the
/// preprocessing inside the graph (center crop and normalisation of 0..255 pixels) and the class labels.
/// </summary>
internal sealed record OnnxNetworkSpec(int Height, int Width, OnnxExportOptions Options, ImagePreprocessing? Preprocessing = null,
    IReadOnlyList<string>? Labels = null);
