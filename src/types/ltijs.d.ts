declare module 'ltijs' {
  const ltijs: { Provider: unknown };
  export default ltijs;
}
