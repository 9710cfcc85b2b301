namespace MLNet.CSP.Models.CspNets;

/// <summary>Stem of a CSP-family network.</summary>
/// <param name="OutChannels">Output channels of each stem convolution (<c>conv1</c>, <c>conv2</c>, ...).</param>
/// <param name="KernelSize">Kernel size of the stem convolutions.</param>
/// <param name="Stride">Total stem stride: 1, 2 or 4.</param>
/// <param name="MaxPool">Whether the stem ends with a 3x3 stride-2 max pool (needs stride 4).</param>
public sealed record CspStemConfig(IReadOnlyList<int> OutChannels, int KernelSize, int Stride, bool MaxPool);
