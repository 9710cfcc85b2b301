namespace MLNet.CSP.Backend;

/// <summary>How float32 convolutions run on the CPU (chosen once per process and thread count by <see cref="TorchBackend"/>).</summary>
public enum ConvolutionPath
{
    /// <summary>libtorch's own choice (oneDNN), the fastest: on machines whose cache topology is visible and whose self-check passed.</summary>
    OneDnn,

    /// <summary>
    /// 1x1 convolutions as matrix products (MKL), larger kernels through oneDNN in channels-last layout: right where oneDNN
    /// miscomputes NCHW and small channels-last 1x1 convolutions, and never enters the 1x1 kernel blocking that crashes there.
    /// </summary>
    ChannelsLastGemm,

    /// <summary>oneDNN switched off for the whole process (libtorch's own kernels) and 1x1 convolutions as matrix products: slowest, last resort.</summary>
    NoOneDnn,
}
