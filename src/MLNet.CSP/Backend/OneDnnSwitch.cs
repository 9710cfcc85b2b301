using System.Runtime.InteropServices;

namespace MLNet.CSP.Backend;

/// <summary>
/// Turns libtorch's use of oneDNN (MKLDNN) on or off for the whole process, as <c>torch.backends.mkldnn.enabled</c> does in
/// Python: <c>at::globalContext().setUserEnabledMkldnn(bool)</c>, called through the exported C++ symbols of libtorch_cpu.
/// </summary>
internal static class OneDnnSwitch
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetEnabled(IntPtr context, byte enabled);

    private static readonly Lazy<(GlobalContext Context, SetEnabled Set)?> Functions = new(Bind);

    /// <summary>Whether the switch could be bound in this process (libtorch_cpu exports the symbols).</summary>
    public static bool IsAvailable => Functions.Value is not null;

    /// <summary>Enables or disables oneDNN; throws when libtorch does not export the switch.</summary>
    public static void Set(bool enabled)
    {
        var f = Functions.Value ?? throw new PlatformNotSupportedException("libtorch_cpu does not export at::Context::setUserEnabledMkldnn.");
        f.Set(f.Context(), enabled ? (byte)1 : (byte)0);
    }

    private static (GlobalContext, SetEnabled)? Bind()
    {
        torch.InitializeDeviceType(DeviceType.CPU); // loads libtorch_cpu through TorchSharp first
        (string Library, string Context, string Set)[] candidates =
        [
            ("libtorch_cpu.so", "_ZN2at13globalContextEv", "_ZN2at7Context20setUserEnabledMkldnnEb"),
            ("libtorch_cpu.dylib", "_ZN2at13globalContextEv", "_ZN2at7Context20setUserEnabledMkldnnEb"),
            ("torch_cpu.dll", "?globalContext@at@@YAAEAVContext@1@XZ", "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z"),
        ];
        foreach (var (library, context, set) in candidates)
        {
            if (!NativeLibrary.TryLoad(library, typeof(OneDnnSwitch).Assembly, null, out var handle)) continue;
            if (NativeLibrary.TryGetExport(handle, context, out var c) && NativeLibrary.TryGetExport(handle, set, out var s))
                return (Marshal.GetDelegateForFunctionPointer<GlobalContext>(c), Marshal.GetDelegateForFunctionPointer<SetEnabled>(s));
        }
        return null;
    }
}
