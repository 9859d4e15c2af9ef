import { Button, Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';

/** A modal confirmation (react-aria: focus trapped, Escape cancels, focus returns to the trigger). */
export function ConfirmDialog(props: {
  isOpen: boolean;
  title: string;
  children: React.ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <ModalOverlay className="modal-overlay" isOpen={props.isOpen} isDismissable onOpenChange={(open) => !open && props.onCancel()}>
      <Modal className="modal">
        <Dialog className="dialog" role="alertdialog">
          <Heading slot="title">{props.title}</Heading>
          <div className="dialog-body">{props.children}</div>
          <div className="dialog-actions">
            <Button className="secondary" onPress={props.onCancel} autoFocus>
              Cancel
            </Button>
            <Button className={props.danger ? 'danger' : 'primary'} onPress={props.onConfirm}>
              {props.confirmLabel}
            </Button>
          </div>
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
